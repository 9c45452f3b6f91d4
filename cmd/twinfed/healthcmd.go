package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"
)

// healthCommand is `twinfed health --url URL`: a container healthcheck for
// an image with no shell nor curl. It exits 0 when the URL answers 200 OK
// within the timeout, 1 otherwise.
func healthCommand() *cli.Command {
	return &cli.Command{
		Name:      "health",
		Usage:     "exit 0 when a URL answers 200 OK (a container healthcheck)",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080/readyz", Usage: "the URL to ask, e.g. a node's or a member's /readyz or /healthz"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "how long to wait for the answer"},
			&cli.BoolFlag{Name: "insecure", Usage: "accept any TLS certificate (a node's own certificate for 127.0.0.1)"},
			&cli.StringFlag{Name: "tls-ca", Usage: "PEM file of the CA that signed the server's certificate (a registry member's: the cluster's CA)"},
		},
		Action: func(c *cli.Context) error {
			client := &http.Client{Timeout: c.Duration("timeout")}
			if c.Bool("insecure") || c.String("tls-ca") != "" {
				tr := http.DefaultTransport.(*http.Transport).Clone()
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
				if c.Bool("insecure") {
					tr.TLSClientConfig.InsecureSkipVerify = true // asked for: the check talks to its own process
				} else {
					cas, err := loadCAs(c.String("tls-ca"))
					if err != nil {
						return cli.Exit("twinfed health: "+err.Error(), 1)
					}
					tr.TLSClientConfig.RootCAs = cas
				}
				client.Transport = tr
			}
			resp, err := client.Get(c.String("url"))
			if err != nil {
				return cli.Exit(fmt.Sprintf("twinfed health: %v", err), 1)
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return cli.Exit(fmt.Sprintf("twinfed health: %s answered %s", c.String("url"), resp.Status), 1)
			}
			fmt.Fprintln(c.App.Writer, "ok")
			return nil
		},
	}
}
