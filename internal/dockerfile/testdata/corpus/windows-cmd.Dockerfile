# escape=`
# syntax=docker/dockerfile:1

FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
ENV APP_HOME=C:\app `
    LOG_DIR=C:\logs
WORKDIR $APP_HOME
RUN mkdir %LOG_DIR% && `
    echo hello> %APP_HOME%\hello.txt && `
    dir C:\
COPY bin\ C:\app\
RUN echo "a backslash at the end does not continue" \
CMD ["cmd", "/S", "/C", "type C:\\app\\hello.txt"]
