# fixed-width-to-csv.awk: converts fixed-width records to CSV with a header line.
#
# The sample "legacy program" the Sluice legacy wrapper runs in its container. Classic POSIX awk
# (mawk or gawk), driven by the dataset contract's column layout, which the wrapper passes in:
#
#   awk -v columns=entry_id:0:10,account:10:8 -v output=/tmp/run/out.csv \
#       -f fixed-width-to-csv.awk /tmp/run/in.dat
#
#   columns  comma-separated name:start:length, start 0-based (as in the contract); required.
#   output   file the CSV is written to; standard output when empty.
#
# Each value is the record's slice with its padding spaces trimmed; an all-blank slice is an
# empty (NULL) field. A value holding a comma, a double quote, CR or LF is quoted, with its
# quotes doubled (RFC 4180). Blank input lines are skipped; a trailing CR (CRLF files) is
# dropped. Offsets count bytes with mawk and characters with gawk in a UTF-8 locale.
# Exit codes: 0 done, 2 bad or missing layout.

function fail(message) {
  print "fixed-width-to-csv: " message > "/dev/stderr"
  failed = 1
  exit 2
}

function csv(value) {
  if (value ~ /[",\r\n]/) {
    gsub(/"/, "\"\"", value)
    return "\"" value "\""
  }
  return value
}

function trim(value) {
  sub(/^[ \t]+/, "", value)
  sub(/[ \t]+$/, "", value)
  return value
}

BEGIN {
  if (columns == "") fail("no layout: pass -v columns=name:start:length,...")
  if (output == "") output = "/dev/stdout"
  count = split(columns, specs, ",")
  header = ""
  for (i = 1; i <= count; i++) {
    if (split(specs[i], part, ":") != 3 || part[1] == "" || part[2] !~ /^[0-9]+$/ || part[3] !~ /^[1-9][0-9]*$/)
      fail("bad column spec \"" specs[i] "\": expected name:start:length")
    name[i] = part[1]
    start[i] = part[2] + 1
    width[i] = part[3] + 0
    header = header (i > 1 ? "," : "") csv(name[i])
  }
  print header > output
}

{
  sub(/\r$/, "")
  if ($0 ~ /^[ \t]*$/) next
  line = ""
  for (i = 1; i <= count; i++)
    line = line (i > 1 ? "," : "") csv(trim(substr($0, start[i], width[i])))
  print line > output
  records++
}

END {
  if (failed) exit 2
  close(output)
  printf "fixed-width-to-csv: %d records converted\n", records + 0 > "/dev/stderr"
}
