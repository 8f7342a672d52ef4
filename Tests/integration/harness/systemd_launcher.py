"""Does what systemd's socket activation does: binds the socket, puts it on fd 3, sets
LISTEN_FDS=1 and LISTEN_PID to the pid presignd will have (exec keeps it), and execs presignd
with no subcommand. Usage: systemd_launcher.py SOCKET_PATH PRESIGND [ARGS...]"""
import os
import socket
import sys

path, program, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if os.path.exists(path):
    os.unlink(path)
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
os.chmod(path, 0o660)
listener.listen(128)
os.dup2(listener.fileno(), 3)
os.set_inheritable(3, True)
# stdin is not the socket under systemd (it is /dev/null).
devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(devnull, 0)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(program, [program] + args)
