// Command feedserver serves a folder of feed files over HTTP on loopback,
// so the pipeline can be run and tested without the internet. Files are
// served with a feed content type guessed from their extension and with
// Last-Modified, so conditional requests work.
//
//	feedserver [-addr 127.0.0.1:8089] [-dir testdata/feeds]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address")
	dir := flag.String("dir", "testdata/feeds", "folder of feed files to serve under /feeds/")
	flag.Parse()
	if err := run(*addr, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "feedserver:", err)
		os.Exit(1)
	}
}

func run(addr, dir string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("-dir %s is not a folder", dir)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s (choose another with -addr): %w", addr, err)
	}
	srv := &http.Server{Handler: logged(handler(dir)), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("serving feeds", "dir", dir, "url", "http://"+ln.Addr().String()+"/feeds/")
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handler serves the files of dir under /feeds/.
func handler(dir string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/feeds/", http.StripPrefix("/feeds/", withTypes(dir, http.FileServer(http.Dir(dir)))))
	return mux
}

// withTypes sets the content type feed readers expect, and an ETag from
// the file's size and modification time, which http.FileServer then
// honours in If-None-Match.
func withTypes(dir string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(path.Clean("/"+r.URL.Path)))); err == nil && st.Mode().IsRegular() {
			w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, st.ModTime().UnixNano(), st.Size()))
		}
		switch {
		case strings.HasSuffix(r.URL.Path, ".json"):
			w.Header().Set("Content-Type", "application/feed+json")
		case strings.HasSuffix(r.URL.Path, ".xml"), strings.HasSuffix(r.URL.Path, ".rdf"):
			// No charset parameter: the document's own declaration decides.
			w.Header().Set("Content-Type", "application/xml")
		}
		h.ServeHTTP(w, r)
	})
}

func logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slog.Debug("request", "method", r.Method, "path", r.URL.Path)
		h.ServeHTTP(w, r)
	})
}
