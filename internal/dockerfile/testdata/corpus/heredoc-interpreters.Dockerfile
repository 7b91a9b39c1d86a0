# syntax=docker/dockerfile:1
FROM python:3.12-slim

# stdin of python3: data, not shell.
RUN python3 <<EOF
import os
FROM = "not an instruction"
print(os.environ.get("HOME"))
EOF

# A script with a shebang runs with that interpreter.
RUN <<EOF
#!/usr/bin/env python3
RUN = 1
print("hello from", RUN)
EOF

# A shell shebang keeps shell highlighting.
RUN <<EOF
#!/bin/bash
set -euo pipefail
for f in /etc/*.conf; do echo "$f"; done
EOF

# Heredoc fed to bash explicitly.
RUN bash -e <<'SCRIPT'
WORKDIR=/tmp
cd "$WORKDIR"
echo done
SCRIPT

# Writing a file with cat.
RUN cat <<EOF > /etc/app.ini
[server]
port = 8080
EXPOSE = 9090
EOF

RUN sudo -E sh <<EOF
echo as root
EOF

RUN set -e; node <<'JS'
console.log("ENTRYPOINT is just text here");
JS

CMD ["python3"]
