// Package logx holds the small log/slog helpers the ldapauth packages
// share.
package logx

import (
	"context"
	"log/slog"
)

// Discard returns a logger that drops every record (slog.DiscardHandler
// needs Go 1.24).
func Discard() *slog.Logger { return slog.New(discardHandler{}) }

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
