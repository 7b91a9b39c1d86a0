FROM
FROM alpine AS
FROM alpine AS stage extra words
NOTANINSTRUCTION foo bar
RUN echo "unterminated quote
CMD ["unterminated", "json"
ENV =novalue
ENV KEY
LABEL "unterminated=key
ARG ${weird}
EXPOSE abc/xyz -
HEALTHCHECK --interval=5s
HEALTHCHECK BOGUS
ONBUILD
ONBUILD ONBUILD RUN x
COPY --from
RUN --mount=type=cache,target="/unterminated echo hi
USER ${
WORKDIR $
RUN <<
RUN << 
RUN <<"unterminated
RUN <<<"here string"
RUN cat <<EOF>/out.txt
hello
EOF
RUN cat <<EOF>/out.txt
RUN <<NEVER_TERMINATED
this body runs
to the end of the file
FROM not an instruction
