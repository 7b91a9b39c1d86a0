FROM alpine:3.20 AS base
# comment with CRLF
RUN apk add --no-cache curl \
    && echo done

RUN <<EOF
echo from heredoc
FROM is not an instruction
EOF
COPY <<-EOT /etc/crlf.conf
	key=value
	EOT
CMD ["sh", "-c", "echo crlf"]
