-- wrk script: POST /v1/classify with a batch of 32 texts, k 3. One
-- request formatted once, in init.
package.path = package.path .. ";" .. (os.getenv("WRK_LUA_DIR") or "bench/wrk") .. "/?.lua"
local report = require("report")

local texts = {
   "turn on the kitchen lights", "switch off the bedroom fan",
   "set the living room temperature to 21 degrees", "what is the weather like today",
   "open the garage door", "lock the front door",
   "play some music in the office", "set the volume to 40 percent",
}

local body_request

function init(args)
   local quoted = {}
   for i = 1, 32 do
      quoted[i] = '"' .. texts[(i - 1) % #texts + 1] .. '"'
   end
   local body = '{"texts": [' .. table.concat(quoted, ", ") .. '], "k": 3}'
   body_request = wrk.format("POST", "/v1/classify",
      { ["Content-Type"] = "application/json" }, body)
end

function request()
   return body_request
end

done = report.done
