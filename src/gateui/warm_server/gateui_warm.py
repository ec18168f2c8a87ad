"""gateui's warm test process, as gateui starts it: ``python gateui_warm.py CONTROL_FD
MODULES_FILE [LISTEN_NAME]``, in the interpreter of the repository under test.

Only a loader. Python compiles a script from its source every time it runs (it caches the
bytecode of imported modules alone): for the server that took 5-8 ms of every warm process's
start, on the path of the ``gateui run`` waiting for it. The server is the module next to this
file, ``gateui_warm_server.py``, imported, so its bytecode is cached; it is written there even
under ``PYTHONDONTWRITEBYTECODE`` (gateui's own folder, as the event plugin's loader does for the
plugin). A folder that cannot be written is left alone, silently, as imports do.
"""

import sys

if __name__ == "__main__":
    # The script's folder is first on sys.path; the server puts the project's folder there.
    dont_write_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        import gateui_warm_server  # type: ignore[import-not-found]  # (found next to this file)
    finally:
        sys.dont_write_bytecode = dont_write_bytecode
    gateui_warm_server.main(sys.argv)
