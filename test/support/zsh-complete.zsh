# Completes each LINE in a real interactive zsh, as a person pressing Tab would, and prints what
# zsh offered: `== LINE`, then one candidate a line.
#   usage: zsh -f zsh-complete.zsh SCRIPT LINE...
# The zsh runs under zpty (zsh/zpty) so its line editor and compsys are the real ones; compinit
# loads, SCRIPT (the output of `envcat completion zsh`) is sourced as in ~/.zshrc, and compadd is
# wrapped to record the candidates that match the word under the cursor (`compadd -O`, zshcompwid(1)).
zmodload zsh/zpty || exit 3
script=$1
shift
out=$(mktemp) || exit 3
trap 'zpty -d envcat 2>/dev/null; rm -f $out' EXIT
zpty envcat TERM=vt100 zsh -f -i || exit 4
zpty -w envcat "PS1='> '; autoload -U compinit && compinit -u -D"
zpty -w envcat "source ${(q)script}"
zpty -w envcat "compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi
  local -a hits; builtin compadd -O hits \"\$@\"; (( \$#hits )) && print -rl -- \$hits >> ${(q)out}
  builtin compadd \"\$@\"
}"
# The Tab key runs the usual completion, then marks the end of its candidates.
zpty -w envcat "_envcat_test_tab() { _main_complete; local ret=\$?; print -r -- '<done>' >> ${(q)out}; return ret; }
zle -C envcat-test-tab complete-word _envcat_test_tab; bindkey '^I' envcat-test-tab"
for line; do
  : >| $out
  zpty -w -n envcat "$line"$'\t'
  integer tries=0
  while ! grep -qx '<done>' $out; do
    # Drain the terminal so the shell never blocks on a full pty.
    zpty -r -t envcat screen 2>/dev/null
    sleep 0.05
    (( ++tries > 200 )) && { print -u2 -r -- "zsh never finished completing: $line"; exit 5; }
  done
  print -r -- "== $line"
  grep -vx '<done>' $out
  # Ctrl-U clears the line for the next one.
  zpty -w -n envcat $'\C-u'
done
exit 0
