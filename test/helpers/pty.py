"""Runs a command in a pseudo-terminal and answers it like a person would.

Usage: python3 pty.py '<json>' where json is
  {"argv": [...], "cwd": "...", "env": {...}, "steps": [{"expect": "<regex>", "send": "<text>"}], "timeout": 20}
Each step waits until its regex matches the output seen since the previous step, then types `send`.
Prints one JSON object: {"exitCode": n, "output": "<everything the terminal showed>", "failedStep": i|null}.
"""
import fcntl, json, os, re, select, struct, subprocess, sys, termios, time

spec = json.loads(sys.argv[1])
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
proc = subprocess.Popen(spec["argv"], cwd=spec.get("cwd"), env=spec["env"], stdin=slave, stdout=slave, stderr=slave,
                        start_new_session=True, close_fds=True)
os.close(slave)

deadline = time.time() + spec.get("timeout", 20)
output = b""
mark = 0
failed = None


def pump(wait):
    global output
    ready, _, _ = select.select([master], [], [], wait)
    if not ready:
        return True
    try:
        chunk = os.read(master, 65536)
    except OSError:
        return False
    if not chunk:
        return False
    output += chunk
    return True


alive = True
for i, step in enumerate(spec.get("steps", [])):
    pattern = re.compile(step["expect"])
    while alive and not pattern.search(output[mark:].decode("utf8", "replace")) and time.time() < deadline:
        alive = pump(0.05)
    match = pattern.search(output[mark:].decode("utf8", "replace"))
    if not match:
        failed = i
        break
    mark = len(output)
    time.sleep(step.get("delay", 0.15))
    os.write(master, step["send"].encode("utf8"))

while alive and proc.poll() is None and time.time() < deadline:
    alive = pump(0.05)
while alive and pump(0.05) and select.select([master], [], [], 0)[0]:
    pass
if proc.poll() is None:
    proc.kill()
code = proc.wait()
print(json.dumps({"exitCode": code, "output": output.decode("utf8", "replace"), "failedStep": failed}))
