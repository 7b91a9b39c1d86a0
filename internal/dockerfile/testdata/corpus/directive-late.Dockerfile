# A plain comment first: the next line is not a directive.
# escape=`
FROM alpine
RUN echo still backslash \
    continuation
# syntax=docker/dockerfile:1
