-- SPDX-License-Identifier: Apache-2.0
-- bench/wrk/req.lua - the one wrk script every case uses, so that wrk's own
-- cost per request is the same for all of them.
--
--   wrk ... -s bench/wrk/req.lua URL -- METHOD PATH SCHEME CREDFILE [BODYFILE]
--
-- SCHEME is "none" (no Authorization header), "Bearer" or "Basic". CREDFILE
-- holds one credential a line (a token, or user:password base64 for Basic);
-- requests take them round-robin, each wrk thread starting at its own
-- offset. One line = the same credential on every request. BODYFILE, if
-- given, is sent as an application/json body. Credentials are never
-- printed. done() prints one machine-readable line for bench/run.py.

local method, path, scheme, credfile, bodyfile
local host
local creds = {}
local ncreds = 0
local pos = 0
local head, tail

local thread_no = 0
function setup(thread)
   thread:set("thread_no", thread_no)
   thread_no = thread_no + 1
end

local function read_file(name)
   local f = assert(io.open(name, "rb"))
   local s = f:read("*a")
   f:close()
   return s
end

function init(args)
   method, path, scheme, credfile, bodyfile = args[1], args[2], args[3], args[4], args[5]
   host = wrk.headers["Host"] or (wrk.host .. ":" .. tostring(wrk.port))
   if scheme ~= "none" then
      for line in io.lines(credfile) do
         if #line > 0 then
            ncreds = ncreds + 1
            creds[ncreds] = line
         end
      end
      assert(ncreds > 0, "no credentials in " .. credfile)
   else
      creds[1] = ""
      ncreds = 1
   end
   local body = ""
   local extra = ""
   if bodyfile and bodyfile ~= "" then
      body = read_file(bodyfile)
      extra = "Content-Type: application/json\r\nContent-Length: " .. #body .. "\r\n"
   end
   head = method .. " " .. path .. " HTTP/1.1\r\nHost: " .. host .. "\r\n" .. extra
   if scheme ~= "none" then
      head = head .. "Authorization: " .. scheme .. " "
      tail = "\r\n\r\n" .. body
   else
      tail = "\r\n" .. body
   end
   local me = tonumber(thread_no) or 0
   pos = math.floor(ncreds * me / 2) % ncreds
end

function request()
   pos = pos + 1
   if pos > ncreds then pos = 1 end
   return head .. creds[pos] .. tail
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f " ..
      "connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50),
      latency:percentile(99), latency.mean, e.connect, e.read, e.write,
      e.status, e.timeout))
end
