"""Trial: a real LiteLLM proxy goes down for four minutes under a running `paceline-cli run`.

The proxy (tests/litellm_proxy.py, mock deployments with a 2 s delay) serves a queue of small
documents with default settings (fixed pacing, 10 s between calls). After a while the proxy is
killed; four minutes later it is started again on the same port. Meanwhile `paceline-cli status
--json` is read from a second process every few seconds, as a monitoring window would. Printed:
the jobs' end states and attempts, what status said during the outage, and how long after the
proxy answered again the next job was done (the goal: within 20 s, no job failed, no attempt
used by the outage).

    python benchmarks/outage_trial.py                 # about 6 minutes
    python benchmarks/outage_trial.py --down 60
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.litellm_proxy import KeyLimits, LiteLLMProxy, MockModel, litellm_available  # noqa: E402


def cli() -> list[str]:
    script = Path(sys.executable).with_name("paceline-cli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "core.cli"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--up-first", type=float, default=35.0, help="seconds before the outage")
    parser.add_argument("--down", type=float, default=240.0, help="seconds the proxy is down")
    args = parser.parse_args(argv)
    if not litellm_available():
        print("no LiteLLM proxy installed (see tests/litellm_proxy.py)")
        return 2
    models = [MockModel("mock", response="A short summary of the document.", delay=2.0)]
    with tempfile.TemporaryDirectory(prefix="paceline-outage-") as tmp, LiteLLMProxy(
        models=models, keys={"sk-trial": KeyLimits()}
    ) as proxy:
        home, docs = Path(tmp) / "home", Path(tmp) / "docs"
        home.mkdir()
        docs.mkdir()
        for n in range(args.docs):
            (docs / f"note{n:02d}.txt").write_text(f"Note {n}: about pacing and outages.\n")
        env = {**os.environ, "PACELINE_HOME": str(home), "PACELINE_PROVIDER": "openai",
               "PACELINE_API_BASE": proxy.api_base, "PACELINE_API_KEY": "sk-trial",
               "PACELINE_MODEL": "mock"}  # fmt: skip
        subprocess.run([*cli(), "add", str(docs)], env=env, check=True, capture_output=True)
        runner = subprocess.Popen([*cli(), "run", "--until-empty"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
        time.sleep(args.up_first)
        proxy.stop()
        down_at = time.time()
        seen: list[dict[str, object]] = []
        while time.time() - down_at < args.down:
            status = json.loads(subprocess.run(
                [*cli(), "status", "--json"], env=env, capture_output=True, text=True).stdout)
            seen.append(status)
            time.sleep(5)
        proxy.start()
        back_at = time.time()
        try:
            runner.wait(timeout=args.docs * 15 + 120)
        except subprocess.TimeoutExpired:
            runner.send_signal(signal.SIGINT)
            runner.wait(60)
        db = sqlite3.connect(home / "paceline.sqlite3")
        jobs = db.execute("SELECT state, attempts, finished_at FROM jobs").fetchall()
        db.close()
    states = {s: sum(1 for j in jobs if j[0] == s) for s in {j[0] for j in jobs}}
    attempts = sorted({j[1] for j in jobs})
    after = sorted(j[2] - back_at for j in jobs if j[2] and j[2] > back_at)
    unreachable = [s for s in seen if s.get("wait_kind") == "unreachable"]
    since = unreachable[0].get("unreachable_since") if unreachable else None
    when = time.strftime("%H:%M:%S", time.localtime(down_at))
    print(f"outage: {args.down:.0f} s, proxy down at {when}")
    print(f"jobs: {states}; attempts per job: {attempts}; runner exit code {runner.returncode}")
    print(f"status --json during the outage: {len(unreachable)} of {len(seen)} reads said "
          f"'unreachable', since {time.strftime('%H:%M:%S', time.localtime(float(since)))}"
          if since else "status never said 'unreachable'")  # fmt: skip
    first = after[0] if after else None
    print(f"first job done {first:.1f} s after the proxy answered again" if first is not None
          else "no job finished after the outage")  # fmt: skip
    ok = (set(states) == {"done"} and attempts == [1] and first is not None and first <= 20.0
          and runner.returncode == 0)  # fmt: skip
    print("goal (all done, one attempt each, resumed within 20 s):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
