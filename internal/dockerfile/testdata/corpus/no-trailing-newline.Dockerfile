FROM alpine:3.20
RUN echo "no newline at the end" \
    && true