# syntax=docker/dockerfile:1.4
FROM nginx:1.27-alpine

ARG SERVER_NAME=localhost

COPY <<EOF /etc/nginx/conf.d/default.conf
server {
    listen 80;
    server_name ${SERVER_NAME};
    location / {
        root /usr/share/nginx/html;
        index index.html;
    }
}
EOF

COPY --chmod=0755 <<-"EOT" /usr/local/bin/healthcheck.sh
	#!/bin/sh
	FROM=$(date) wget -qO- http://localhost/ || exit 1
	EOT

ADD <<EOF /usr/share/nginx/html/index.html
<!doctype html>
<html><body><h1>RUN this page</h1></body></html>
EOF

COPY <<robots.txt <<humans.txt /usr/share/nginx/html/
User-agent: *
Disallow:
robots.txt
/* TEAM */
Maintainer: nobody
humans.txt

COPY --link --chown=101:101 <<EOF /etc/motd
Welcome, $USER!
EOF

HEALTHCHECK --interval=30s CMD /usr/local/bin/healthcheck.sh
