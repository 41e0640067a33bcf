package views

import (
	"context"
	"io"
	"sync"

	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/i18n"
)

// pageEnglish renders pages that were given no translator (tests, tools): the
// source catalog, never bare message IDs.
var pageEnglish = sync.OnceValue(func() Translator {
	c, err := i18n.New(i18n.Source, "")
	if err != nil {
		panic("views: the shipped English catalog does not load: " + err.Error())
	}
	return c.For(i18n.Source)
})

type translatorKey struct{}

// localized renders its children with t in the context, so that the small
// shared components (buttons, fields, the resend form) that take no Page
// speak the page's language.
func localized(t Translator) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		children := templ.GetChildren(ctx)
		ctx = templ.ClearChildren(ctx)
		if t != nil {
			ctx = context.WithValue(ctx, translatorKey{}, t)
		}
		return children.Render(ctx, w)
	})
}

// ctxTranslator is the page's translator from ctx, else the request's
// localizer, else English.
func ctxTranslator(ctx context.Context) Translator {
	if t, ok := ctx.Value(translatorKey{}).(Translator); ok {
		return t
	}
	if l := i18n.FromContext(ctx); l != nil {
		return l
	}
	return pageEnglish()
}

// tr renders a catalog message in the language of the page being rendered.
func tr(ctx context.Context, id string, args ...any) string {
	return ctxTranslator(ctx).T(id, args...)
}

// trN is tr for a plural message.
func trN(ctx context.Context, id string, count int, args ...any) string {
	return ctxTranslator(ctx).N(id, count, args...)
}

// msg is a catalog message chosen when a field is built and rendered in
// the page's language when the field is.
type msg struct {
	id    string
	count int // > 0: a plural message
}

func (m msg) in(ctx context.Context) string {
	switch {
	case m.id == "":
		return ""
	case m.count > 0:
		return trN(ctx, m.id, m.count)
	}
	return tr(ctx, m.id)
}
