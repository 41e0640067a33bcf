package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/page"
	"github.com/portalhq/portal/internal/webhook"
)

// Webhook endpoints are managed under /v1/webhooks/endpoints. Clerk keeps
// them in Svix's dashboard; these paths are the portal's own.

type endpointObject struct {
	Object         string   `json:"object"`
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	Description    string   `json:"description"`
	EventTypes     []string `json:"event_types"`
	Disabled       bool     `json:"disabled"`
	DisabledReason *string  `json:"disabled_reason"`
	FailingSince   *int64   `json:"failing_since"`
	// Secret is shown when it is new (create, rotate) and on the secret route.
	Secret    string `json:"secret,omitempty"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

func toEndpointObject(e *webhook.Endpoint, withSecret bool) endpointObject {
	o := endpointObject{Object: "webhook_endpoint", ID: e.ID, URL: e.URL, Description: e.Description,
		EventTypes: e.EventTypes, Disabled: e.Disabled, CreatedAt: e.CreatedAt.UnixMilli(), UpdatedAt: e.UpdatedAt.UnixMilli()}
	if o.EventTypes == nil {
		o.EventTypes = []string{}
	}
	if e.DisabledReason != "" {
		o.DisabledReason = &e.DisabledReason
	}
	if e.FailingSince != nil {
		v := e.FailingSince.UnixMilli()
		o.FailingSince = &v
	}
	if withSecret {
		o.Secret = e.Secret
	}
	return o
}

type deliveryObject struct {
	Object         string `json:"object"`
	EndpointID     string `json:"endpoint_id"`
	MessageID      string `json:"message_id"` // the svix-id / webhook-id, also the event's ID
	EventType      string `json:"event_type"`
	ObjectID       string `json:"object_id"`
	Status         string `json:"status"`
	Attempts       int    `json:"attempts"`
	NextAttemptAt  *int64 `json:"next_attempt_at"`
	LastAttemptAt  *int64 `json:"last_attempt_at"`
	LastStatusCode *int   `json:"last_status_code"` // null until an attempt gets an HTTP answer
	LastError      string `json:"last_error"`
	CreatedAt      int64  `json:"created_at"`
	UpdatedAt      int64  `json:"updated_at"`
}

func toDeliveryObject(d *webhook.Delivery) deliveryObject {
	o := deliveryObject{Object: "webhook_delivery", EndpointID: d.EndpointID, MessageID: d.EventID,
		EventType: d.EventType, ObjectID: d.ObjectID, Status: d.Status, Attempts: d.Attempts,
		LastError: d.LastError, CreatedAt: d.CreatedAt.UnixMilli(), UpdatedAt: d.UpdatedAt.UnixMilli()}
	// The store keeps 0 for "no answer" (refused, timed out, TLS): a
	// developer reading the list should not take that for a status.
	if d.LastStatusCode != 0 {
		v := d.LastStatusCode
		o.LastStatusCode = &v
	}
	if d.NextAttemptAt != nil {
		v := d.NextAttemptAt.UnixMilli()
		o.NextAttemptAt = &v
	}
	if d.LastAttemptAt != nil {
		v := d.LastAttemptAt.UnixMilli()
		o.LastAttemptAt = &v
	}
	return o
}

type endpointBody struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	EventTypes  *[]string `json:"event_types"`
	Disabled    *bool     `json:"disabled"`
	Secret      *string   `json:"secret"`
}

func (b endpointBody) input() webhook.Input {
	return webhook.Input{URL: b.URL, Description: b.Description, EventTypes: b.EventTypes, Disabled: b.Disabled,
		Secret: b.Secret}
}

// GET /v1/webhooks/endpoints?limit= (1–500, default 500)&offset=: oldest
// first; total_count counts them all.
func (a *app) apiEndpointsList(c echo.Context) error {
	limit, offset, err := queryPage(c)
	if err != nil {
		return err
	}
	list, total, err := a.Webhooks.List(c.Request().Context(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]endpointObject, 0, len(list))
	for i := range list {
		out = append(out, toEndpointObject(&list[i], false))
	}
	return apiJSON(c, http.StatusOK, paginated{Data: out, TotalCount: total})
}

// POST /v1/webhooks/endpoints: the answer carries the new secret.
func (a *app) apiEndpointCreate(c echo.Context) error {
	var b endpointBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	e, err := a.Webhooks.Create(c.Request().Context(), b.input())
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toEndpointObject(e, true))
}

// GET /v1/webhooks/endpoints/:id
func (a *app) apiEndpointGet(c echo.Context) error {
	e, err := a.Webhooks.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toEndpointObject(e, false))
}

// GET /v1/webhooks/endpoints/:id/secret
func (a *app) apiEndpointSecret(c echo.Context) error {
	e, err := a.Webhooks.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toEndpointObject(e, true))
}

// PATCH /v1/webhooks/endpoints/:id: url, description, event_types,
// disabled (false enables it again).
func (a *app) apiEndpointUpdate(c echo.Context) error {
	var b endpointBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	e, err := a.Webhooks.Update(c.Request().Context(), c.Param("id"), b.input())
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toEndpointObject(e, false))
}

// DELETE /v1/webhooks/endpoints/:id
func (a *app) apiEndpointDelete(c echo.Context) error {
	if err := a.Webhooks.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, deleted{ID: c.Param("id"), Object: "webhook_endpoint", Deleted: true})
}

// POST /v1/webhooks/endpoints/:id/rotate_secret: the old secret keeps
// signing alongside the new one for a day (REQ-WH-04).
func (a *app) apiEndpointRotate(c echo.Context) error {
	e, err := a.Webhooks.RotateSecret(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toEndpointObject(e, true))
}

// GET /v1/webhooks/endpoints/:id/deliveries?limit= (1–250, default 50)
// &offset=: newest first; total_count counts them all.
func (a *app) apiEndpointDeliveries(c echo.Context) error {
	limit, offset, err := queryPage(c)
	if err != nil {
		return err
	}
	if err := page.Check(&limit, &offset, 50, 250); err != nil {
		return err
	}
	list, total, err := a.Webhooks.Deliveries(c.Request().Context(), c.Param("id"), limit, offset)
	if err != nil {
		return err
	}
	out := make([]deliveryObject, 0, len(list))
	for i := range list {
		out = append(out, toDeliveryObject(&list[i]))
	}
	return apiJSON(c, http.StatusOK, paginated{Data: out, TotalCount: total})
}

// POST /v1/webhooks/endpoints/:id/deliveries/:msg/replay: sent again, with
// the same webhook-id.
func (a *app) apiDeliveryReplay(c echo.Context) error {
	d, err := a.Webhooks.Replay(c.Request().Context(), c.Param("id"), c.Param("msg"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toDeliveryObject(d))
}
