-- Shared by the serve_load.sh scripts: one machine-readable line at the end
-- of a wrk run, which serve_load.sh collects.
--   RESULT requests_per_second p50_ms p99_ms non_2xx socket_errors requests
local report = {}

function report.done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local socket_errors = summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
   io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
      summary.requests / seconds,
      latency:percentile(50) / 1000,
      latency:percentile(99) / 1000,
      summary.errors.status,
      socket_errors,
      summary.requests))
end

return report
