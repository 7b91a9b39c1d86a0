# syntax=docker/dockerfile:1.7-labs
FROM ubuntu:24.04 AS base

RUN --mount=type=cache,id=apt-cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=apt-lib,target=/var/lib/apt,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client

FROM base AS fetch
RUN --mount=type=ssh,id=default,required=true \
    mkdir -p -m 0700 ~/.ssh && ssh-keyscan github.com >> ~/.ssh/known_hosts \
    && git clone git@github.com:example/private.git /src

RUN --mount=type=secret,id=npmrc,target=/root/.npmrc,mode=0400 \
    --mount=type=secret,id=aws,env=AWS_ACCESS_KEY_ID \
    cat /root/.npmrc >/dev/null

RUN --mount=type=tmpfs,target=/tmp,size=64m \
    --network=none \
    --security=insecure \
    echo "sandboxed"

RUN --mount=type=bind,from=fetch,source=/src,target=/src,rw \
    ls -la /src

RUN --device=nvidia.com/gpu=all nvidia-smi

RUN ["/bin/sh", "-c", "echo exec form with flags"]
