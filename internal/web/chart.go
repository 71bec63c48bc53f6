package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/takedown-oss/takedown/internal/store"
)

// chart is a horizontal bar chart drawn on the server as SVG: no script
// and no image files.
type chart struct {
	SVG template.HTML
}

type bar struct {
	Label string
	Value float64 // 0..1
	Text  string
}

// shareChart draws the share removed within the deadline, per platform
// and category.
func shareChart(v *view, rows []store.ComplianceRow) chart {
	var bars []bar
	for _, r := range rows {
		bars = append(bars, bar{Label: v.T("platform."+string(r.Platform)) + " · " + v.T("category."+string(r.Category)),
			Value: r.WithinDeadlineShare, Text: v.Percent(r.WithinDeadlineShare)})
	}
	return chart{SVG: drawBars(v.T("compliance.chart_title"), bars)}
}

func drawBars(title string, bars []bar) template.HTML {
	const rowH, labelW, barW = 28, 260, 300
	h := rowH*len(bars) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d">`,
		template.HTMLEscapeString(title), labelW+barW+70, h, labelW+barW+70, h)
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	for i, br := range bars {
		y := 20 + i*rowH
		w := int(br.Value * barW)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="13" fill="#1a1a1a">%s</text>`, labelW-8, y+15, template.HTMLEscapeString(br.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" fill="#e6e6e6"/>`, labelW, y+2, barW)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" fill="#1f5fa8"/>`, labelW, y+2, w)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#1a1a1a">%s</text>`, labelW+barW+8, y+15, template.HTMLEscapeString(br.Text))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
