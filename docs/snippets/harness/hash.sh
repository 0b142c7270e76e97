# output contains: 7646e1d423dc5ea334d72055411873749c07beee9a474799fd75b51075f60663  examples/minimal/data/eval.jsonl
stillhouse hash examples/minimal/data/eval.jsonl examples/minimal/student/
