# syntax=docker/dockerfile:1.7-labs
FROM alpine:3.20 AS assets
COPY . /src

FROM alpine:3.20
ARG APP_UID=10001
COPY --from=assets --chown=${APP_UID}:${APP_UID} --chmod=0644 /src/config.yaml /etc/app/
COPY --link --from=assets /src/bin/ /usr/local/bin/
COPY --parents ./apps/*/package.json ./packages/*/package.json /workspace/
COPY --exclude=*.md --exclude=**/testdata /src/ /app/
ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.14.1 /buildkit
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/archive.tar.gz /tmp/
ADD --chown=app:app ["with space.txt", "/opt/with space.txt"]
COPY ["$APP_UID.txt", "/opt/"]
COPY --from=nginx:1.27 /etc/nginx/nginx.conf /etc/nginx/nginx.conf
COPY --chmod=755 -- --weird-name /opt/
