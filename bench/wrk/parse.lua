-- wrk script: POST /model/parse, cycling through a few Home Assistant
-- commands. The requests are formatted once, in init, so that the load
-- generator spends its CPU on sending rather than on building requests.
package.path = package.path .. ";" .. (os.getenv("WRK_LUA_DIR") or "bench/wrk") .. "/?.lua"
local report = require("report")

local texts = {
   "turn on the kitchen lights",
   "switch off the bedroom fan",
   "set the living room temperature to 21 degrees",
   "what is the weather like today",
   "open the garage door",
   "lock the front door",
   "play some music in the office",
   "set the volume to 40 percent",
}

local requests = {}
local next_index = 0

function init(args)
   for i, text in ipairs(texts) do
      requests[i] = wrk.format("POST", "/model/parse",
         { ["Content-Type"] = "application/json" },
         '{"text": "' .. text .. '"}')
   end
end

function request()
   next_index = next_index % #requests + 1
   return requests[next_index]
end

done = report.done
