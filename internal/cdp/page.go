package cdp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Page is one browser tab.
type Page struct {
	conn    *conn
	session string
	target  string
}

func (p *Page) call(ctx context.Context, method string, params, result any) error {
	return p.conn.call(ctx, p.session, method, params, result)
}

// Navigate loads url and waits for the page's load event.
func (p *Page) Navigate(ctx context.Context, url string) error {
	loaded, cancel := p.conn.subscribe(p.session, "Page.loadEventFired")
	defer cancel()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("cdp: navigate to %s: %s", url, nav.ErrorText)
	}
	select {
	case _, ok := <-loaded:
		if !ok {
			return p.conn.closedErr()
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cdp: no load event for %s: %w", url, ctx.Err())
	}
}

// JSError is a JavaScript exception thrown by an evaluated expression.
type JSError struct{ Text string }

func (e *JSError) Error() string { return "cdp: JavaScript exception: " + e.Text }

// Eval evaluates a JavaScript expression in the page (awaiting it if it is
// a promise) and decodes its JSON value into out (which may be nil).
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &res)
	if err != nil {
		return err
	}
	if d := res.ExceptionDetails; d != nil {
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text = d.Exception.Description
		}
		return &JSError{Text: text}
	}
	if out == nil {
		return nil
	}
	if len(res.Result.Value) == 0 {
		return fmt.Errorf("cdp: %q evaluated to %s, which has no JSON value", expr, res.Result.Type)
	}
	return json.Unmarshal(res.Result.Value, out)
}

// pollInterval is how often WaitFor re-evaluates its condition.
const pollInterval = 50 * time.Millisecond

// WaitFor evaluates the JavaScript condition until it is true or ctx ends.
// Errors while the page is being replaced (a navigation in progress) count
// as "not yet"; the last one is reported if the wait fails.
func (p *Page) WaitFor(ctx context.Context, condition string) error {
	var lastErr error
	for {
		var ok bool
		err := p.Eval(ctx, "Boolean("+condition+")", &ok)
		if err == nil && ok {
			return nil
		}
		if err != nil && errors.Is(err, ErrClosed) {
			return err
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("cdp: waiting for %s: %w (last error: %v)", condition, ctx.Err(), lastErr)
			}
			return fmt.Errorf("cdp: waiting for %s: %w", condition, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// Text returns the page's visible text (document.body.innerText).
func (p *Page) Text(ctx context.Context) (string, error) {
	var s string
	err := p.Eval(ctx, `document.body ? document.body.innerText : ""`, &s)
	return s, err
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// Click scrolls the first element matching the CSS selector into view and
// clicks its centre with real mouse events, as a user would. It waits
// (until ctx ends) for the element to exist, have a size (an image link
// has none until its image has loaded), be the topmost element at its
// centre, and stay in place between two looks (a page still loading
// images moves things around).
func (p *Page) Click(ctx context.Context, selector string) error {
	return p.clickAt(ctx, `document.querySelector(`+jsString(selector)+`)`, selector)
}

// ClickText clicks, like Click, the first element matching the CSS
// selector whose text (trimmed) is text: a link, button or label as the
// user reads it.
func (p *Page) ClickText(ctx context.Context, selector, text string) error {
	find := `Array.from(document.querySelectorAll(` + jsString(selector) + `)).find(e => e.textContent.trim() === ` + jsString(text) + `)`
	return p.clickAt(ctx, find, fmt.Sprintf("%s with text %q", selector, text))
}

// target is where an element is, as clickAt sees it.
type target struct {
	Found bool    `json:"found"`
	OnTop bool    `json:"onTop"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
}

func (t target) clickable() bool { return t.Found && t.OnTop && t.W > 0 && t.H > 0 }

// clickAt clicks the element the JavaScript expression find yields.
func (p *Page) clickAt(ctx context.Context, find, what string) error {
	expr := `(() => {
		const el = ` + find + `;
		if (!el) return {found: false};
		el.scrollIntoView({block: "center", inline: "center"});
		const r = el.getBoundingClientRect();
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		const hit = document.elementFromPoint(x, y);
		const onTop = !!hit && (el.contains(hit) || (el.control && el.control === hit));
		return {found: true, onTop: onTop, x: x, y: y, w: r.width, h: r.height};
	})()`
	var last target
	seen := false // some look at the page has answered
	for {
		var now target
		err := p.Eval(ctx, expr, &now)
		if err == nil && now.clickable() && now == last {
			break
		}
		if errors.Is(err, ErrClosed) {
			return err
		}
		if err == nil {
			last, seen = now, true
		} else if seen && ctx.Err() != nil {
			// The deadline cut the last look short: what the page
			// showed before it says why the click never happened.
			now, err = last, nil
		}
		select {
		case <-ctx.Done():
			switch {
			case err != nil:
				return fmt.Errorf("cdp: click %s: %w", what, err)
			case !now.Found:
				return fmt.Errorf("cdp: click: no element matches %s (%w)", what, ctx.Err())
			case now.W == 0 || now.H == 0:
				return fmt.Errorf("cdp: click: %s is not visible (%.0fx%.0f) (%w)", what, now.W, now.H, ctx.Err())
			case !now.OnTop:
				return fmt.Errorf("cdp: click: %s is covered by another element (%w)", what, ctx.Err())
			default:
				return fmt.Errorf("cdp: click: %s keeps moving (%w)", what, ctx.Err())
			}
		case <-time.After(pollInterval):
		}
	}
	for _, ev := range []map[string]any{
		{"type": "mouseMoved", "x": last.X, "y": last.Y},
		{"type": "mousePressed", "x": last.X, "y": last.Y, "button": "left", "buttons": 1, "clickCount": 1},
		{"type": "mouseReleased", "x": last.X, "y": last.Y, "button": "left", "buttons": 0, "clickCount": 1},
	} {
		if err := p.call(ctx, "Input.dispatchMouseEvent", ev, nil); err != nil {
			return err
		}
	}
	return nil
}

// Type focuses the first element matching the CSS selector, selects what
// it holds and types text over it (as keyboard input). Moving the focus
// fires the previous element's change event, as it does for a user.
func (p *Page) Type(ctx context.Context, selector, text string) error {
	var found bool
	expr := `(() => {
		const el = document.querySelector(` + jsString(selector) + `);
		if (!el) return false;
		el.scrollIntoView({block: "center"});
		el.focus();
		if (typeof el.select === "function") el.select();
		return true;
	})()`
	if err := p.Eval(ctx, expr, &found); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("cdp: type: no element matches %s", selector)
	}
	return p.call(ctx, "Input.insertText", map[string]any{"text": text}, nil)
}

// Select chooses the option with the given value in the first <select>
// matching the CSS selector and fires its change event.
func (p *Page) Select(ctx context.Context, selector, value string) error {
	var res string
	expr := `(() => {
		const el = document.querySelector(` + jsString(selector) + `);
		if (!el) return "no element";
		if (!Array.from(el.options || []).some(o => o.value === ` + jsString(value) + `)) return "no such option";
		el.focus();
		el.value = ` + jsString(value) + `;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		return "";
	})()`
	if err := p.Eval(ctx, expr, &res); err != nil {
		return err
	}
	if res != "" {
		return fmt.Errorf("cdp: select %q in %s: %s", value, selector, res)
	}
	return nil
}

// SelectText chooses, like Select, the option whose text (trimmed) is text.
func (p *Page) SelectText(ctx context.Context, selector, text string) error {
	var value *string
	expr := `(() => {
		const el = document.querySelector(` + jsString(selector) + `);
		const o = el && Array.from(el.options || []).find(o => o.text.trim() === ` + jsString(text) + `);
		return o ? o.value : null;
	})()`
	if err := p.Eval(ctx, expr, &value); err != nil {
		return err
	}
	if value == nil {
		return fmt.Errorf("cdp: select: no option %q in %s", text, selector)
	}
	return p.Select(ctx, selector, *value)
}

// Screenshot returns a PNG of the viewport.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var shot struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// Close closes the tab.
func (p *Page) Close(ctx context.Context) error {
	return p.conn.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": p.target}, nil)
}
