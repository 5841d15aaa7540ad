package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/desk"
	"github.com/feedcurator/feedcurator/internal/atomicfile"
)

const deskUsage = `usage: feedcurator desk passwd --config FILE [--password-file FILE|-]

Sets the password of the editor's desk (/desk/): its bcrypt hash goes into
desk.password_hash of the configuration file, every other byte of the file
kept. On a terminal the password is asked twice, unseen; else the first line
of the password file (or of standard input) is the password. The running
daemon takes it at its next reload (feedcurator reload, or systemctl reload).`

// cmdDesk runs the desk's commands: passwd.
func cmdDesk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "passwd" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, deskUsage)
			return errHelp
		}
		fmt.Fprintln(stderr, deskUsage)
		return errReported
	}
	var cf commonFlags
	fs := flag.NewFlagSet("desk passwd", flag.ContinueOnError)
	cf.register(fs, true)
	file := fs.String("password-file", "", "read the password from the first line of `file` (- for standard input)")
	fs.SetOutput(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 0 {
		return errors.New(strings.SplitN(deskUsage, "\n", 2)[0])
	}
	raw, err := config.ReadFile(cf.config)
	if err != nil {
		return err
	}
	password, err := readPassword(*file, stderr)
	if err != nil {
		return err
	}
	hash, err := desk.HashPassword(password)
	if err != nil {
		return err
	}
	out, err := config.SetDeskPasswordHash(raw, hash)
	if err != nil {
		return fmt.Errorf("%s: %w", cf.config, err)
	}
	if _, err := config.Parse(bytes.NewReader(out), cf.config); err != nil {
		fmt.Fprintln(stderr, err)
		return fmt.Errorf("the configuration with the new password does not validate; %s is unchanged", cf.config)
	}
	fi, err := os.Stat(cf.config)
	if err != nil {
		return err
	}
	if _, err := atomicfile.Write(cf.config, out, fi.Mode().Perm()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "set the desk's password in %s (feedcurator reload applies it)\n", cf.config)
	return nil
}

// readPassword reads the new password: from the first line of file ("-"
// for standard input), else asked twice on the terminal, else the first
// line of standard input.
func readPassword(file string, stderr io.Writer) (string, error) {
	if file == "" && term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(stderr, "new desk password: ")
		first, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "again: ")
		second, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if !bytes.Equal(first, second) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		return string(first), nil
	}
	var r io.Reader = os.Stdin
	name := "standard input"
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r, name = f, file
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from %s: %w", name, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password on the first line of %s", name)
	}
	return line, nil
}
