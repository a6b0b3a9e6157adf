"""The floor for a one-shot: the least a script can do to send adp's request with the groq SDK.

    python bench/floor_client.py REQUEST.json

REQUEST.json holds the request body adp sent (bench/oneshot.py records it on the stub):
``model``, ``messages``, ``temperature``, ``max_tokens`` and, for a reasoning model, its
reasoning parameters; GROQ_API_KEY and GROQ_BASE_URL come from the environment. Prints the reply
content, as ``adp`` prints the phrase.
"""

import json
import os
import sys

from groq import Groq

with open(sys.argv[1], encoding="utf-8") as handle:
    request = json.load(handle)

client = Groq(api_key=os.environ["GROQ_API_KEY"], base_url=os.environ["GROQ_BASE_URL"])
reply = client.chat.completions.create(**request)
print(reply.choices[0].message.content)
