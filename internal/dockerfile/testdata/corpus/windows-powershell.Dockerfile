# escape=`

FROM mcr.microsoft.com/windows/servercore:ltsc2022

SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue';"]

ENV GIT_VERSION 2.45.2
ENV GIT_DOWNLOAD_URL https://github.com/git-for-windows/git/releases/download/v${GIT_VERSION}.windows.1/MinGit-${GIT_VERSION}-64-bit.zip

RUN Write-Host ('Downloading {0} ...' -f $env:GIT_DOWNLOAD_URL); `
    [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12; `
    Invoke-WebRequest -Uri $env:GIT_DOWNLOAD_URL -OutFile 'git.zip'; `
    `
    Write-Host 'Expanding ...'; `
    Expand-Archive -Path git.zip -DestinationPath C:\git\.; `
    Remove-Item git.zip -Force; `
    # the comment lines inside a continuation are dropped by docker
    $env:PATH = 'C:\git\cmd;C:\git\mingw64\bin;C:\git\usr\bin;' + $env:PATH; `
    [Environment]::SetEnvironmentVariable('PATH', $env:PATH, [EnvironmentVariableTarget]::Machine); `
    git --version

WORKDIR C:\app
COPY ["app\\bin", "C:\\app\\bin"]
COPY --chown=ContainerUser app\config.json C:\app\
USER ContainerUser
EXPOSE 8080
CMD ["C:\\app\\bin\\server.exe", "--port", "8080"]
