FROM alpine:3.20
ARG BUILD_DATE
ARG VCS_REF
LABEL org.opencontainers.image.title="example" \
      org.opencontainers.image.description="An example image with \"quotes\" and spaces" \
      org.opencontainers.image.created=$BUILD_DATE \
      org.opencontainers.image.revision=${VCS_REF} \
      org.opencontainers.image.vendor='Example, Inc.' \
      org.opencontainers.image.url=https://example.com \
      "com.example.quoted-key"="value" \
      com.example.empty="" \
      com.example.escaped=value\ with\ spaces
LABEL multi.label1="value1" multi.label2="value2" other="value3"
LABEL version 1.0
LABEL description="This text illustrates \
that label-values can span multiple lines."
