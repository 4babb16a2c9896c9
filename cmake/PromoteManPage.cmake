# Writes promote(1), a man page made from the command's own --help texts (the program's help and
# each subcommand's), so it never disagrees with the binary. Run as a script at build time:
#   cmake -DPROMOTE=<binary> -DVERSION=<x.y.z> -DOUTPUT=<promote.1> -P cmake/PromoteManPage.cmake
# The date is SOURCE_DATE_EPOCH's when set (string(TIMESTAMP) honours it), for reproducible packages.

foreach(var PROMOTE VERSION OUTPUT)
  if(NOT ${var})
    message(FATAL_ERROR "PromoteManPage.cmake: -D${var}=... is required")
  endif()
endforeach()

function(help_of out)
  execute_process(COMMAND "${PROMOTE}" ${ARGN} --help RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PROMOTE} ${ARGN} --help failed (${rc}): ${err}")
  endif()
  # Usage names the binary as it was run; the page names the command.
  string(REGEX REPLACE "Usage: [^ \n]+" "Usage: promote" text "${text}")
  # roff: a leading dot or quote starts a request, a backslash an escape.
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of(main)
# The subcommands are the lines of the "Subcommands:" section.
string(REGEX MATCH "Subcommands:\n.*" section "${main}")
string(REGEX MATCHALL "\n  [a-z]+ " names "${section}")
string(TIMESTAMP date "%Y-%m-%d" UTC)

set(page ".TH PROMOTE 1 \"${date}\" \"promote ${VERSION}\" \"User Commands\"
.SH NAME
promote \\- build once, promote container images by digest between registries
.SH SYNOPSIS
.B promote
[\\fIOPTIONS\\fR] \\fISUBCOMMAND\\fR [\\fIARGS\\fR]
.SH DESCRIPTION
.B promote
moves a container image from one environment to the next as the same manifest digest: it resolves
the commit's tag, runs the gates (vulnerability scan, signatures, stage order), copies or mounts
the image byte for byte, tags and signs it, and writes a signed promotion record beside it.
Every command runs in-process, or on a running agent (\\fB--agent\\fR, \\fBPROMOTE_AGENT\\fR).
.PP
.nf
${main}.fi
")
foreach(line IN LISTS names)
  string(STRIP "${line}" name)
  help_of(text "${name}")
  string(APPEND page ".SH \"PROMOTE ${name}\"\n.nf\n${text}.fi\n")
endforeach()
string(APPEND page ".SH \"EXIT STATUS\"
.TP
.B 0
done, or nothing to do
.TP
.B 2
usage or configuration error
.TP
.B 3
refused: a gate, a branch rule or a tag conflict
.TP
.B 4
registry or network failure, or a timeout
.TP
.B 5
internal error, or cancelled
.SH FILES
.TP
.I /etc/promote/agent.yaml
the agent's configuration (\\fBpromote agent\\fR)
.TP
.I /run/promote/agent.sock
the agent's unix socket under the systemd unit \\fBpromote-agent.service\\fR
.SH \"SEE ALSO\"
/usr/share/doc/promote/, skopeo(1), cosign(1)
")
file(WRITE "${OUTPUT}.tmp" "${page}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
