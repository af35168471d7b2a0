# fixed-width-to-csv.pl: converts fixed-width records to CSV with a header line.
#
# The sample "legacy program" the Sluice legacy wrapper runs in its container. Classic Perl 5
# (perl-base, Essential in Debian, so in every Debian-based image), driven by the dataset
# contract's column layout, which the wrapper passes in:
#
#   perl -CSD fixed-width-to-csv.pl --columns=entry_id:0:10,account:10:8 \
#       --output=/tmp/run/out.csv /tmp/run/in.dat
#
#   --columns  comma-separated name:start:length, start 0-based (as in the contract); required.
#   --output   file the CSV is written to; standard output when absent.
#   input      the fixed-width file (UTF-8); standard input when absent.
#
# -CSD makes every stream UTF-8, so offsets and widths count characters (Unicode code points),
# never bytes: "café crème brûlée" is 17 characters wide whatever its bytes. The program refuses
# to run without it. The wrapper checks the input is UTF-8 before it runs the program.
#
# The first output column, _sluice_line, is the input line each record comes from, so staging
# names rows and rejections by the input's lines, not the CSV's. Then one column per layout
# entry: the record's slice with its padding trimmed (the whitespace JavaScript's trim() removes,
# as the pipeline's own fixed-width reader does); an all-blank slice is an empty (NULL) field. A
# value holding a comma, a double quote, CR or LF is quoted, its quotes doubled (RFC 4180).
# Empty lines are skipped; a trailing CR (CRLF files) and a leading byte order mark are dropped.
# Exit codes: 0 done; 2 bad or missing layout, not run with -CSD, input not UTF-8, or a file that
# cannot be read or written.

use strict;
use warnings;

sub fail {
  print STDERR "fixed-width-to-csv: $_[0]\n";
  exit 2;
}

# -C bits: 1 STDIN, 2 STDOUT, 4 STDERR, 8 input and 16 output streams opened here.
fail('run as perl -CSD: without it offsets count bytes, not characters')
  unless (${^UNICODE} & 0x1F) == 0x1F;

my %option = (columns => '', output => '');
while (@ARGV && $ARGV[0] =~ /\A--(columns|output)=(.*)\z/s) {
  $option{$1} = $2;
  shift @ARGV;
}
fail('no layout: pass --columns=name:start:length,...') if $option{columns} eq '';
fail("unexpected arguments: @ARGV") if @ARGV > 1;

my @layout;
for my $spec (split /,/, $option{columns}, -1) {
  my ($name, $start, $width) = $spec =~ /\A([^:]+):([0-9]+):([1-9][0-9]*)\z/
    or fail(qq{bad column spec "$spec": expected name:start:length});
  push @layout, [$name, $start, $width];
}

# The characters String.prototype.trim() removes (ECMAScript WhiteSpace and LineTerminator).
my $blank = qr/[\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]/;

sub csv {
  my ($value) = @_;
  return $value unless $value =~ /[",\r\n]/;
  $value =~ s/"/""/g;
  return qq{"$value"};
}

sub cut {
  my ($line, $start, $width) = @_;
  return '' if $start >= length $line;
  my $value = substr($line, $start, $width);
  $value =~ s/\A$blank+//;
  $value =~ s/$blank+\z//;
  return csv($value);
}

my $in = \*STDIN;
if (@ARGV) {
  open($in, '<', $ARGV[0]) or fail("cannot read $ARGV[0]: $!");
}
my $out = \*STDOUT;
if ($option{output} ne '') {
  open($out, '>', $option{output}) or fail("cannot write $option{output}: $!");
}

print {$out} join(',', '_sluice_line', map { csv($_->[0]) } @layout), "\n";
my $records = 0;
while (my $line = <$in>) {
  chomp $line;
  fail("line $.: not valid UTF-8") unless utf8::valid($line);
  $line =~ s/\r\z//;
  $line =~ s/\A\x{FEFF}// if $. == 1;
  next if $line eq '';
  print {$out} join(',', $., map { cut($line, $_->[1], $_->[2]) } @layout), "\n";
  $records++;
}
close($out) or fail("cannot write $option{output}: $!");
print STDERR "fixed-width-to-csv: $records records converted\n";
