ARG XX_VERSION=1.4.0
ARG GO_VERSION=1.22

FROM --platform=$BUILDPLATFORM tonistiigi/xx:${XX_VERSION} AS xx

FROM --platform=${BUILDPLATFORM} golang:${GO_VERSION}-alpine AS builder
COPY --from=xx / /
ARG TARGETPLATFORM
RUN xx-apk add --no-cache gcc musl-dev
WORKDIR /src
RUN --mount=type=bind,target=. \
    --mount=type=cache,target=/root/.cache \
    xx-go build -o /out/app . && \
    xx-verify /out/app

FROM --platform=$TARGETPLATFORM alpine:3.20
COPY --from=builder /out/app /usr/bin/app
ENTRYPOINT ["app"]
