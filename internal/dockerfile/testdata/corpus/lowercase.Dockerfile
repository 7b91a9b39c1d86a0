from alpine:3.20 as build
arg version=1.0
env app_version=${version}
run apk add --no-cache make \
    && make VERSION=$app_version
workdir /src
copy --from=build /src/out /out
add https://example.com/file.tar.gz /tmp/
expose 8080/udp
volume ["/data"]
user nobody
label version=$version
stopsignal SIGTERM
healthcheck none
entrypoint ["/out/app"]
cmd --help
shell ["/bin/sh", "-c"]
maintainer Jane Doe <jane@example.com>
From Alpine As Final
Run echo mixed case
