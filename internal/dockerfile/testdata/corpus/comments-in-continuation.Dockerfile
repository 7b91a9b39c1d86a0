FROM ubuntu:22.04
RUN apt-get update \
    # install the build tools
    && apt-get install -y build-essential \
# a comment at column 0 inside the continuation
    && apt-get install -y cmake \

    && rm -rf /var/lib/apt/lists/*

ENV A=1 \
    # comment between variables
    B=2

LABEL one="1" \
      # FROM is not an instruction here
      two="2"

# The next line ends with an escaped backslash, so no continuation.
RUN echo foo\\
RUN echo next instruction

COPY a \
     b \
     # comment
     /dest/
