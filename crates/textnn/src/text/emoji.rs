//! Which characters make a segment an emoji token.
//!
//! The Unicode tokenizer drops word-boundary segments that hold no letter or
//! digit, because they are punctuation or spaces. Emoji carry meaning for a
//! classifier ("great 🙂" against "great 🙁"), so a segment also survives when
//! it holds a character for which [`is_emoji_char`] is true:
//!
//! - `Extended_Pictographic` (Unicode emoji-data.txt), which covers every
//!   emoji base such as 🙂, ❤ and 👍, and a few older pictographic symbols
//!   such as ©, ® and ™;
//! - the regional indicators U+1F1E6..U+1F1FF, which make flags (🇫🇷);
//! - U+20E3 COMBINING ENCLOSING KEYCAP, so that "#️⃣" and "*️⃣" survive even
//!   though `#` and `*` are punctuation.
//!
//! Modifiers (🏽), variation selectors (U+FE0F) and zero-width joiners need
//! no entry: UAX #29 already glues them to the emoji before them, so "👍🏽"
//! and "👨‍👩‍👧" each arrive here as one segment.

/// `Extended_Pictographic` ranges, inclusive and sorted, from Unicode 17.0
/// emoji-data.txt, the version unicode-segmentation 1.13 uses for word
/// boundaries; using the same data keeps "what is one emoji segment" and
/// "what counts as an emoji" in agreement.
const EXTENDED_PICTOGRAPHIC: &[(char, char)] = &[
    ('\u{a9}', '\u{a9}'),
    ('\u{ae}', '\u{ae}'),
    ('\u{203c}', '\u{203c}'),
    ('\u{2049}', '\u{2049}'),
    ('\u{2122}', '\u{2122}'),
    ('\u{2139}', '\u{2139}'),
    ('\u{2194}', '\u{2199}'),
    ('\u{21a9}', '\u{21aa}'),
    ('\u{231a}', '\u{231b}'),
    ('\u{2328}', '\u{2328}'),
    ('\u{23cf}', '\u{23cf}'),
    ('\u{23e9}', '\u{23f3}'),
    ('\u{23f8}', '\u{23fa}'),
    ('\u{24c2}', '\u{24c2}'),
    ('\u{25aa}', '\u{25ab}'),
    ('\u{25b6}', '\u{25b6}'),
    ('\u{25c0}', '\u{25c0}'),
    ('\u{25fb}', '\u{25fe}'),
    ('\u{2600}', '\u{2604}'),
    ('\u{260e}', '\u{260e}'),
    ('\u{2611}', '\u{2611}'),
    ('\u{2614}', '\u{2615}'),
    ('\u{2618}', '\u{2618}'),
    ('\u{261d}', '\u{261d}'),
    ('\u{2620}', '\u{2620}'),
    ('\u{2622}', '\u{2623}'),
    ('\u{2626}', '\u{2626}'),
    ('\u{262a}', '\u{262a}'),
    ('\u{262e}', '\u{262f}'),
    ('\u{2638}', '\u{263a}'),
    ('\u{2640}', '\u{2640}'),
    ('\u{2642}', '\u{2642}'),
    ('\u{2648}', '\u{2653}'),
    ('\u{265f}', '\u{2660}'),
    ('\u{2663}', '\u{2663}'),
    ('\u{2665}', '\u{2666}'),
    ('\u{2668}', '\u{2668}'),
    ('\u{267b}', '\u{267b}'),
    ('\u{267e}', '\u{267f}'),
    ('\u{2692}', '\u{2697}'),
    ('\u{2699}', '\u{2699}'),
    ('\u{269b}', '\u{269c}'),
    ('\u{26a0}', '\u{26a1}'),
    ('\u{26a7}', '\u{26a7}'),
    ('\u{26aa}', '\u{26ab}'),
    ('\u{26b0}', '\u{26b1}'),
    ('\u{26bd}', '\u{26be}'),
    ('\u{26c4}', '\u{26c5}'),
    ('\u{26c8}', '\u{26c8}'),
    ('\u{26ce}', '\u{26cf}'),
    ('\u{26d1}', '\u{26d1}'),
    ('\u{26d3}', '\u{26d4}'),
    ('\u{26e9}', '\u{26ea}'),
    ('\u{26f0}', '\u{26f5}'),
    ('\u{26f7}', '\u{26fa}'),
    ('\u{26fd}', '\u{26fd}'),
    ('\u{2702}', '\u{2702}'),
    ('\u{2705}', '\u{2705}'),
    ('\u{2708}', '\u{270d}'),
    ('\u{270f}', '\u{270f}'),
    ('\u{2712}', '\u{2712}'),
    ('\u{2714}', '\u{2714}'),
    ('\u{2716}', '\u{2716}'),
    ('\u{271d}', '\u{271d}'),
    ('\u{2721}', '\u{2721}'),
    ('\u{2728}', '\u{2728}'),
    ('\u{2733}', '\u{2734}'),
    ('\u{2744}', '\u{2744}'),
    ('\u{2747}', '\u{2747}'),
    ('\u{274c}', '\u{274c}'),
    ('\u{274e}', '\u{274e}'),
    ('\u{2753}', '\u{2755}'),
    ('\u{2757}', '\u{2757}'),
    ('\u{2763}', '\u{2764}'),
    ('\u{2795}', '\u{2797}'),
    ('\u{27a1}', '\u{27a1}'),
    ('\u{27b0}', '\u{27b0}'),
    ('\u{27bf}', '\u{27bf}'),
    ('\u{2934}', '\u{2935}'),
    ('\u{2b05}', '\u{2b07}'),
    ('\u{2b1b}', '\u{2b1c}'),
    ('\u{2b50}', '\u{2b50}'),
    ('\u{2b55}', '\u{2b55}'),
    ('\u{3030}', '\u{3030}'),
    ('\u{303d}', '\u{303d}'),
    ('\u{3297}', '\u{3297}'),
    ('\u{3299}', '\u{3299}'),
    ('\u{1f004}', '\u{1f004}'),
    ('\u{1f02c}', '\u{1f02f}'),
    ('\u{1f094}', '\u{1f09f}'),
    ('\u{1f0af}', '\u{1f0b0}'),
    ('\u{1f0c0}', '\u{1f0c0}'),
    ('\u{1f0cf}', '\u{1f0d0}'),
    ('\u{1f0f6}', '\u{1f0ff}'),
    ('\u{1f170}', '\u{1f171}'),
    ('\u{1f17e}', '\u{1f17f}'),
    ('\u{1f18e}', '\u{1f18e}'),
    ('\u{1f191}', '\u{1f19a}'),
    ('\u{1f1ae}', '\u{1f1e5}'),
    ('\u{1f201}', '\u{1f20f}'),
    ('\u{1f21a}', '\u{1f21a}'),
    ('\u{1f22f}', '\u{1f22f}'),
    ('\u{1f232}', '\u{1f23a}'),
    ('\u{1f23c}', '\u{1f23f}'),
    ('\u{1f249}', '\u{1f25f}'),
    ('\u{1f266}', '\u{1f321}'),
    ('\u{1f324}', '\u{1f393}'),
    ('\u{1f396}', '\u{1f397}'),
    ('\u{1f399}', '\u{1f39b}'),
    ('\u{1f39e}', '\u{1f3f0}'),
    ('\u{1f3f3}', '\u{1f3f5}'),
    ('\u{1f3f7}', '\u{1f3fa}'),
    ('\u{1f400}', '\u{1f4fd}'),
    ('\u{1f4ff}', '\u{1f53d}'),
    ('\u{1f549}', '\u{1f54e}'),
    ('\u{1f550}', '\u{1f567}'),
    ('\u{1f56f}', '\u{1f570}'),
    ('\u{1f573}', '\u{1f57a}'),
    ('\u{1f587}', '\u{1f587}'),
    ('\u{1f58a}', '\u{1f58d}'),
    ('\u{1f590}', '\u{1f590}'),
    ('\u{1f595}', '\u{1f596}'),
    ('\u{1f5a4}', '\u{1f5a5}'),
    ('\u{1f5a8}', '\u{1f5a8}'),
    ('\u{1f5b1}', '\u{1f5b2}'),
    ('\u{1f5bc}', '\u{1f5bc}'),
    ('\u{1f5c2}', '\u{1f5c4}'),
    ('\u{1f5d1}', '\u{1f5d3}'),
    ('\u{1f5dc}', '\u{1f5de}'),
    ('\u{1f5e1}', '\u{1f5e1}'),
    ('\u{1f5e3}', '\u{1f5e3}'),
    ('\u{1f5e8}', '\u{1f5e8}'),
    ('\u{1f5ef}', '\u{1f5ef}'),
    ('\u{1f5f3}', '\u{1f5f3}'),
    ('\u{1f5fa}', '\u{1f64f}'),
    ('\u{1f680}', '\u{1f6c5}'),
    ('\u{1f6cb}', '\u{1f6d2}'),
    ('\u{1f6d5}', '\u{1f6e5}'),
    ('\u{1f6e9}', '\u{1f6e9}'),
    ('\u{1f6eb}', '\u{1f6f0}'),
    ('\u{1f6f3}', '\u{1f6ff}'),
    ('\u{1f7da}', '\u{1f7ff}'),
    ('\u{1f80c}', '\u{1f80f}'),
    ('\u{1f848}', '\u{1f84f}'),
    ('\u{1f85a}', '\u{1f85f}'),
    ('\u{1f888}', '\u{1f88f}'),
    ('\u{1f8ae}', '\u{1f8af}'),
    ('\u{1f8bc}', '\u{1f8bf}'),
    ('\u{1f8c2}', '\u{1f8cf}'),
    ('\u{1f8d9}', '\u{1f8ff}'),
    ('\u{1f90c}', '\u{1f93a}'),
    ('\u{1f93c}', '\u{1f945}'),
    ('\u{1f947}', '\u{1f9ff}'),
    ('\u{1fa58}', '\u{1fa5f}'),
    ('\u{1fa6e}', '\u{1faff}'),
    ('\u{1fc00}', '\u{1fffd}'),
];

/// The regional indicator symbols A..Z; pairs of them are flags.
const REGIONAL_INDICATORS: (char, char) = ('\u{1f1e6}', '\u{1f1ff}');

/// U+20E3 COMBINING ENCLOSING KEYCAP, the last part of keycap emoji.
const KEYCAP: char = '\u{20e3}';

/// True when `c` marks its segment as an emoji (see the module docs).
pub(crate) fn is_emoji_char(c: char) -> bool {
    // Every table entry is above U+00A8, so ASCII text never searches.
    if c < '\u{a9}' {
        return false;
    }
    if c == KEYCAP || (REGIONAL_INDICATORS.0..=REGIONAL_INDICATORS.1).contains(&c) {
        return true;
    }
    EXTENDED_PICTOGRAPHIC
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_characters() {
        let cases: &[(char, bool, &str)] = &[
            ('a', false, "letter"),
            ('?', false, "ASCII punctuation"),
            ('#', false, "keycap base alone"),
            ('\u{a8}', false, "just below the table"),
            ('\u{a9}', true, "copyright sign, first entry"),
            ('\u{2014}', false, "em dash"),
            ('\u{3002}', false, "ideographic full stop"),
            ('🙂', true, "slightly smiling face"),
            ('❤', true, "heavy black heart"),
            ('👍', true, "thumbs up"),
            (
                '\u{1f3fd}',
                false,
                "skin tone modifier is glued by UAX #29, not a base",
            ),
            ('\u{fe0f}', false, "variation selector"),
            ('\u{200d}', false, "zero-width joiner"),
            ('\u{1f1eb}', true, "regional indicator F"),
            (
                '\u{1f1e5}',
                true,
                "reserved, Extended_Pictographic just below the indicators",
            ),
            ('\u{20e3}', true, "enclosing keycap"),
            ('\u{1fffd}', true, "last entry"),
            ('\u{1fffe}', false, "just above the table"),
            ('我', false, "Han ideograph is a letter, not an emoji"),
        ];
        for &(c, expected, why) in cases {
            assert_eq!(is_emoji_char(c), expected, "{c:?}: {why}");
        }
    }

    #[test]
    fn table_is_sorted_and_disjoint() {
        // Binary search is only correct on sorted, non-overlapping ranges.
        for window in EXTENDED_PICTOGRAPHIC.windows(2) {
            assert!(window[0].0 <= window[0].1, "{:?}", window[0]);
            assert!(window[0].1 < window[1].0, "{:?} {:?}", window[0], window[1]);
        }
    }
}
