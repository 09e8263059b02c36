/** A rewriting progress line on a terminal, for the long-running commands (simulate, replay); nothing when stderr is a pipe or file. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let shown = false;
  return {
    tty,
    show(text: string) {
      if (!tty) return;
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\n");
      shown = false;
    },
  };
}
