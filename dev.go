package main

import (
	"context"
	"fmt"
	"io"
)

func runDev(ctx context.Context, args []string, stderr io.Writer) error {
	return fmt.Errorf("dev: not built yet")
}
