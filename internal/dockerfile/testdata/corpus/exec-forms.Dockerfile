FROM alpine:3.20
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
RUN ["echo", "quote: \" backslash: \\ tab:\t unicode: \u00e9 slash: \/"]
ENTRYPOINT ["/sbin/tini", "--", "/docker-entrypoint.sh"]
CMD ["sh", "-c", "echo $HOME \"nested quotes\""]
CMD ["multi", \
     "line", \
     "exec"]
VOLUME ["/var/lib/data", "/var/log/${APP}"]
CMD [ ]
CMD ["not", "valid", "json",]
ENTRYPOINT [ "single" ]
CMD ["mixed", 1, true]
CMD []
RUN [ "/bin/echo", "unicode ☃ snowman" ]
