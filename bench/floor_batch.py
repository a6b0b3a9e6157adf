"""The floor for a synchronous batch: the least a script can do to send adp's requests with the groq SDK.

    python bench/floor_batch.py BODIES.jsonl JOBS

BODIES.jsonl holds one chat-completion request body per line, exactly as adp sent them
(bench/batch.py writes it from what the loopback stub recorded of an adp run); GROQ_API_KEY and
GROQ_BASE_URL come from the environment. JOBS threads share one ``groq.Groq`` client, and each
reply's content is printed as one JSON line in input order, as ``adp`` prints its lines.
"""

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from groq import Groq

with open(sys.argv[1], encoding="utf-8") as handle:
    bodies = [json.loads(line) for line in handle]

client = Groq(api_key=os.environ["GROQ_API_KEY"], base_url=os.environ["GROQ_BASE_URL"])


def send(body: dict) -> str | None:
    return client.chat.completions.create(**body).choices[0].message.content


with ThreadPoolExecutor(max_workers=int(sys.argv[2])) as pool:
    for index, content in enumerate(pool.map(send, bodies)):
        print(json.dumps({"index": index, "phrase": content}))
