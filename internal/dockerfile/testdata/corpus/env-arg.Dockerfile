ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG USER=app UID=1000
ARG EMPTY
ARG WITH_DEFAULT=${UID:-1000}
ENV MY_NAME="John Doe"
ENV MY_DOG=Rex\ The\ Dog
ENV MY_CAT=fluffy
ENV PATH=/opt/app/bin:$PATH HOME=/home/${USER}
ENV LEGACY value with spaces and $VAR
ENV JAVA_OPTS -Xmx512m -Dfile.encoding=UTF-8
ENV A=${B:-default} C=${D:+alt} E=${F#prefix} G='single $NOT_EXPANDED'
ENV ESCAPED=\$NOT_A_VAR
RUN echo "$MY_NAME" ${MY_DOG} $HOME
WORKDIR ${HOME}/src
USER ${USER}:${UID}
