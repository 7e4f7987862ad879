# The visits example's web service: every GET / adds one to the counter `hits` in Redis, which it
# reaches by the service name `redis` on the project's network.
import os
import time

import redis
from flask import Flask

app = Flask(__name__)
cache = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379)


def hit_count():
    # Redis may still be starting (or restarting): retry a few times before giving up.
    for attempt in range(5):
        try:
            return cache.incr("hits")
        except redis.exceptions.ConnectionError:
            if attempt == 4:
                raise
            time.sleep(0.5)


@app.route("/")
def hello():
    return f"Hello from berth! I have been seen {hit_count()} times.\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8000)
