# syntax=docker/dockerfile:1
FROM debian:bookworm

# The heredoc is the whole command: its body is a shell script.
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends curl ca-certificates
rm -rf /var/lib/apt/lists/*
EOF

# Tabs are stripped from the body and the terminator with <<-.
RUN <<-EOT
	echo "indented with tabs"
	if [ -n "$HOME" ]; then
		echo "home is $HOME"
	fi
	EOT

# Quoted delimiters disable expansion.
RUN <<"EOF"
echo "$NOT_EXPANDED by docker"
FROM this line is not an instruction
EOF

RUN <<'EOF'
RUN echo this is shell, not a Dockerfile instruction
COPY . /nowhere
EOF

# Two heredocs on one line, each feeding a command.
RUN <<FILE1 cat > /file1 && <<FILE2 cat > /file2
I am
first
FILE1
I am
second
FILE2

# Several bare heredocs on one line.
RUN <<A <<B
ENV A=1
A
ENV B=2
B

# Heredoc after flags and with a continuation before it.
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --network=host \
    <<EOF
apt-get update
apt-get install -y git
EOF

# A file descriptor and whitespace after <<.
RUN cat 3<< EOF
hello
EOF

# An unquoted body where docker and the shell expand variables.
ARG GREETING=hello
RUN <<EOF bash
echo "${GREETING:-hi} world"
EOF

CMD ["/bin/bash"]
