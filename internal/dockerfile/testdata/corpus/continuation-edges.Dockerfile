FROM alpine
		RUN	echo tabs   \   
			and trailing blanks after the backslash
\
RUN echo a line that is only a backslash starts a continuation
  # indented comment

RUN echo "continued at end of file" \
