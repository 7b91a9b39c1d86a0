# syntax=docker/dockerfile:1
FROM alpine
RUN echo "file starts with a byte order mark"
