FROM node:20-alpine
WORKDIR /usr/src/app
ONBUILD ARG NODE_ENV=production
ONBUILD ENV NODE_ENV $NODE_ENV
ONBUILD COPY package.json package-lock.json* ./
ONBUILD RUN npm ci --omit=dev \
    && npm cache clean --force
ONBUILD COPY --chown=node:node . .
ONBUILD RUN <<EOF
echo "built on $(date)"
FROM inside an onbuild heredoc
EOF
ONBUILD HEALTHCHECK CMD ["node", "healthcheck.js"]
onbuild user node
CMD [ "npm", "start" ]
