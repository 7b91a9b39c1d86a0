#syntax = docker/dockerfile:1.7
  #	check=skip=JSONArgsRecommended;error=true
# escape=\

# syntax=this/is-now-a-comment:1
FROM alpine
