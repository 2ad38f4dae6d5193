# Drives `toot login` (Debian's toot) through a pseudo-terminal, as a person at a terminal would:
# prints the login URL toot shows as a JSON line, declines to open a browser, then types the
# authorization code read from this script's stdin. Exits with toot's status; toot's whole output
# (colours removed) goes to stderr. Run with /usr/bin/python3; HOME and XDG_CONFIG_HOME come from
# the caller. Arguments: the instance (host:port), then toot's own options.
import json
import os
import pty
import re
import select
import signal
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
signal.alarm(90)  # a hang fails the test instead of holding it

pid, fd = pty.fork()
if pid == 0:
    os.execv("/usr/bin/toot", ["toot", "login", "--instance", sys.argv[1], *sys.argv[2:]])

seen = ""
url_sent = answered_browser = answered_code = False


def read_some():
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        raise SystemExit(f"toot went quiet:\n{seen}")
    try:
        return os.read(fd, 4096).decode("utf-8", "replace")
    except OSError:  # the child closed the terminal
        return ""


while True:
    chunk = read_some()
    if not chunk:
        break
    seen += ANSI.sub("", chunk).replace("\r", "")
    if not url_sent:
        m = re.search(r"This is the login URL:\n(\S+)\n", seen)
        if m:
            print(json.dumps({"url": m.group(1)}), flush=True)
            url_sent = True
    if url_sent and not answered_browser and "Open link in default browser? [Y/n]" in seen:
        os.write(fd, b"n\n")
        answered_browser = True
    if answered_browser and not answered_code and "Authorization code:" in seen:
        code = sys.stdin.readline().strip()
        os.write(fd, code.encode() + b"\n")
        answered_code = True

_, status = os.waitpid(pid, 0)
sys.stderr.write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
