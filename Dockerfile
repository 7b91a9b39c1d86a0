# Multistage build: a Go toolchain stage builds the binary; the image ships only the binary.

# Stage 1, "build": the official Go image, with compiler and tools.
FROM golang:1.26 AS build
# Build metadata, set with --build-arg (defaults for a plain `docker build`).
ARG VERSION=dev
ARG REVISION=unknown
# Work in /src inside the builder.
WORKDIR /src
# Module files first, so the download layer below is cached until they change.
COPY go.mod go.sum ./
# Fetch dependencies in their own layer.
RUN go mod download
# Then the sources (.dockerignore keeps the context small).
COPY . .
# A static binary (no cgo), no local paths, no symbol tables; version stamped in.
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.version=${VERSION} -X main.revision=${REVISION} -X multistage/app.Variant=multistage" \
    -o /out/multistage .

# Stage 2: an empty image; everything above is left behind.
FROM scratch
# The same build metadata, for the labels.
ARG VERSION=dev
ARG REVISION=unknown
# OCI labels: what this image is and where it came from.
LABEL org.opencontainers.image.title="multistage" \
      org.opencontainers.image.description="The multistage Docker build tutorial, served by the Go binary it documents" \
      org.opencontainers.image.source="https://github.com/multistage/multistage" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
# The only file in the image: the binary from the build stage.
COPY --from=build /out/multistage /multistage
# Run as an unprivileged numeric user (no /etc/passwd needed).
USER 65532:65532
# The server listens on 5000.
EXPOSE 5000
# Read by both the server and the health check.
ENV PORT=5000
# Docker asks the binary itself whether the server answers /healthz.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["/multistage", "healthcheck"]
# The binary is the container's process.
ENTRYPOINT ["/multistage"]
# Default subcommand: serve the tutorial.
CMD ["serve"]
