"""Python reference reader: json + the same field extraction as the Rust connectors, on the same file."""
import json
import sys
import time
from datetime import datetime


def ts(text):
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("no zone")
    return t


def okta(rec):
    if rec["eventType"] not in ("user.session.start", "user.authentication.sso"):
        return None
    c = rec.get("client") or {}
    a = rec.get("actor") or {}
    return (rec["uuid"], ts(rec["published"]), a.get("id"), a.get("alternateId"), c.get("ipAddress"),
            (c.get("userAgent") or {}).get("rawUserAgent"), (rec.get("outcome") or {}).get("result"),
            (c.get("geographicalContext") or {}).get("country"))


def entra(rec):
    if "properties" in rec and "category" in rec:  # Azure Monitor export: the signIn under properties
        if not rec["category"].endswith("SignInLogs"):
            return None
        rec = rec["properties"]
    return (rec["id"], ts(rec["createdDateTime"]), rec.get("userPrincipalName"), rec.get("userId"),
            rec.get("ipAddress"), (rec.get("status") or {}).get("errorCode"),
            (rec.get("location") or {}).get("countryOrRegion"), rec.get("appDisplayName"))


def osquery(rec):
    return (rec["hostIdentifier"], rec["name"], int(rec["unixTime"]), rec.get("action"), dict(rec["columns"]))


def records(path):
    with open(path, "rb") as f:
        head = f.read(1)
        f.seek(0)
        if head == b"[":
            yield from json.load(f)
        elif head == b"{" and b"\"value\"" in f.read(200):
            f.seek(0)
            yield from json.load(f)["value"]
        elif head == b"{" and f.seek(0) == 0 and f.read(12) == b'{"records":[':
            f.seek(0)
            yield from json.load(f)["records"]
        else:
            f.seek(0)
            for line in f:
                if line.strip():
                    yield json.loads(line)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    extract = {"okta": okta, "entra": entra, "osquery": osquery}[kind]
    start, cpu0 = time.perf_counter(), time.process_time()
    n = 0
    for rec in records(path):
        if extract(rec) is not None:
            n += 1
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu0
    print(json.dumps({"reader": "python", "kind": kind, "events": n, "seconds": round(secs, 4),
                      "events_per_second": round(n / secs), "cpu_seconds": round(cpu, 4),
                      "events_per_cpu_second": round(n / cpu)}))


if __name__ == "__main__":
    main()
