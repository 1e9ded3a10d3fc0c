-- post.lua - wrk script: POST /batches with a small valid body (see submit.sh)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"file": "' .. os.getenv("BENCH_FILE") .. '", "args": ["bench"]}'
