# unknowndirective=value
# escape=`
FROM alpine
RUN echo \
    hello
