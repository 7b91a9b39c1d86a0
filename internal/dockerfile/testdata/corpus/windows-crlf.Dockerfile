# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["cmd", "/S", "/C"]
RUN echo one && `
    echo two
COPY <<EOF C:/hello.txt
hello from a CRLF heredoc
EOF
