"""Forum views: thin; permissions from forum.permissions, writes via services."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from core import exports
from core.filters import filterset
from core.params import is_number
from core.storage import open_stored

from . import conf, forms, selectors, services
from . import permissions as perms
from .filters import NotificationFilterSet, ThreadFilterSet
from .ical import meeting_calendar
from .markup import quote_source
from .models import (
    Attachment,
    Category,
    FollowUpAction,
    FollowUpStatus,
    Meeting,
    MeetingDecision,
    ModerationAction,
    Post,
    PostRevision,
    Report,
    Thread,
)
from .search import search_posts

User = get_user_model()
EMAILS_WAITING_MESSAGE = _lazy(
    "Tulisan tersimpan; surel pemberitahuan tercatat dan akan dikirim begitu antrean dapat dijangkau."
)


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _page(request: HttpRequest, qs: Any, per_page: int) -> Any:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


# --- Categories and threads -------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    perms.check_forum_access(request.user)
    return render(
        request,
        "forum/index.html",
        {
            "categories": selectors.categories_for_index(user=request.user),
            "is_moderator": perms.is_any_moderator(request.user),
        },
    )


def _thread_filterset(request: HttpRequest, category: Category) -> ThreadFilterSet:
    """The category list's filters over the threads the user may see: its pages and its CSV export use it."""
    return filterset(ThreadFilterSet, request.GET, selectors.threads_for_category(user=request.user, category=category))


@login_required
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    perms.check_read_category(request.user, category)
    fs = _thread_filterset(request, category)
    threads = _page(request, fs.qs, conf.get("FORUM_THREADS_PER_PAGE"))
    return render(
        request,
        "forum/category.html",
        {
            "category": category,
            "page_obj": threads,
            "filter": fs.form,
            "can_start": perms.has_category_perm(request.user, category.id, perms.P.START),
            "is_moderator": perms.is_moderator(request.user, category.id),
        },
    )


def _files(request: HttpRequest) -> list[Any]:
    return request.FILES.getlist("attachments")


@login_required
def thread_create(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    perms.check_start_thread(request.user, category)
    form = forms.ThreadForm(request.POST or None, request.FILES or None)
    form.fields["proposal"].queryset = perms.filter_linkable_proposals(  # type: ignore[attr-defined]
        request.user,
        form.fields["proposal"].queryset,  # type: ignore[attr-defined]
    )
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_create(
                user=request.user,
                category=category,
                title=form.cleaned_data["title"],
                source=form.cleaned_data["body"],
                files=_files(request),
                bkm=form.cleaned_data["bkm"],
                proposal=form.cleaned_data["proposal"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Topik dibuat."))
            opening = thread.posts.order_by("pk").first()
            if opening is not None and selectors.post_emails_waiting(post=opening):
                messages.warning(request, EMAILS_WAITING_MESSAGE)
            return redirect("forum:thread", pk=thread.pk)
    return render(
        request,
        "forum/thread_form.html",
        {"category": category, "form": form, "can_attach": perms.can_attach(request.user, category.id)},
    )


def _get_thread(request: HttpRequest, pk: int) -> Thread:
    # Fetched through the visibility rule itself (a 404 as check_read_thread gives), in one query.
    qs = perms.filter_visible_threads(
        request.user, Thread.objects.select_related("category", "author", "bkm", "proposal")
    )
    return get_object_or_404(qs, pk=pk)


_QUOTE_PLACEHOLDER = "987654321"


def _set_quote_queries(request: HttpRequest, posts: list[Post]) -> None:
    """Each post's "Kutip" link: this page's query string with `quote` set, as
    `{% querystring quote=post.pk %}` writes it — encoded once for the page rather than once per post."""
    params = request.GET.copy()
    params["quote"] = _QUOTE_PLACEHOLDER
    parts = f"?{params.urlencode()}".split(_QUOTE_PLACEHOLDER)
    for post in posts:
        if len(parts) == 2:
            post.quote_query = f"{parts[0]}{post.pk}{parts[1]}"  # type: ignore[attr-defined]
        else:  # the placeholder was in the query string already: encode each link
            params["quote"] = str(post.pk)
            post.quote_query = f"?{params.urlencode()}"  # type: ignore[attr-defined]


@login_required
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    thread = get_object_or_404(selectors.threads_for_reader(user=user), pk=pk)
    last_read = thread.last_read_at  # type: ignore[attr-defined]
    # The page renders body_html; the Markdown source and the search vector of its posts (and of the posts
    # they quote) are not read here.
    shown = selectors.thread_posts(user=user, thread=thread).defer(
        "body_source", "search_vector", "quote_of__body_source", "quote_of__body_html", "quote_of__search_vector"
    )
    page_obj = _page(request, shown, conf.get("FORUM_POSTS_PER_PAGE"))
    posts = list(page_obj.object_list)
    now = timezone.now()
    window = conf.get("FORUM_EDIT_WINDOW_MINUTES")
    is_moderator = perms.is_moderator(user, thread.category_id)
    for post in posts:
        post.is_new = last_read is not None and post.created_at > last_read and post.author_id != user.pk  # type: ignore[attr-defined]
        post.can_edit = is_moderator or (  # type: ignore[attr-defined]
            post.author_id == user.pk
            and not post.is_hidden
            and not thread.is_locked
            and (now - post.created_at).total_seconds() <= window * 60
        )
    if can_reply := perms.can_reply(user, thread):
        _set_quote_queries(request, posts)
    newest = max((p.created_at for p in posts), default=None)
    if newest is not None and (last_read is None or newest > last_read):
        services.thread_mark_read(user=user, thread=thread, at=newest)
    initial = {}
    quote_id = request.GET.get("quote")
    if quote_id and is_number(quote_id):
        quoted = selectors.thread_posts(user=user, thread=thread).filter(pk=int(quote_id)).first()
        if quoted is not None:
            initial = {
                "body": quote_source(author_name=str(quoted.author), source=quoted.body_source),
                "quote_of": quoted.pk,
            }
    move_form = None
    if is_moderator:
        move_form = forms.MoveForm()
        move_form.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            id__in=perms.moderated_category_ids(user)
        ).exclude(pk=thread.category_id)
    return render(
        request,
        "forum/thread.html",
        {
            "thread": thread,
            "page_obj": page_obj,
            "posts": posts,
            "form": forms.PostForm(initial=initial) if can_reply else None,
            "can_reply": can_reply,
            "can_attach": perms.can_attach(user, thread.category_id),
            "is_moderator": is_moderator,
            "can_deactivate": perms.can_deactivate_users(user),
            "can_export": is_moderator or perms.is_staff(user),
            "watch_form": forms.WatchForm(
                initial={"level": thread.watch_level or "none"}  # type: ignore[attr-defined]
            ),
            "move_form": move_form,
            "last_read": last_read,
            "has_new": last_read is not None and thread.last_post_at > last_read,
            "meeting": thread.shown_meeting,  # type: ignore[attr-defined]
        },
    )


@login_required
@require_POST
def thread_reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk)
    perms.check_reply_thread(request.user, thread)
    form = forms.PostForm(request.POST, request.FILES)
    if form.is_valid():
        quote_of = None
        if form.cleaned_data.get("quote_of"):
            quote_of = Post.objects.filter(pk=form.cleaned_data["quote_of"]).first()
        try:
            post = services.post_reply(
                user=request.user,
                thread=thread,
                source=form.cleaned_data["body"],
                quote_of=quote_of,
                files=_files(request),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            if selectors.post_emails_waiting(post=post):
                messages.warning(request, EMAILS_WAITING_MESSAGE)
            return redirect("forum:post_redirect", pk=post.pk)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("forum:thread", pk=thread.pk)


@login_required
def post_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    perms.check_read_post(request.user, post)
    before = (
        selectors.thread_posts(user=request.user, thread=post.thread).filter(created_at__lt=post.created_at).count()
    )
    page = before // conf.get("FORUM_POSTS_PER_PAGE") + 1
    return HttpResponseRedirect(f"{reverse('forum:thread', args=[post.thread_id])}?page={page}#post-{post.pk}")


@login_required
def thread_first_unread(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk)
    last_read = selectors.thread_last_read(user=request.user, thread=thread)
    posts = selectors.thread_posts(user=request.user, thread=thread)
    target = posts.filter(created_at__gt=last_read).first() if last_read else posts.first()
    if target is None:
        target = posts.last()
    if target is None:
        return redirect("forum:thread", pk=thread.pk)
    return redirect("forum:post_redirect", pk=target.pk)


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread", "thread__category"), pk=pk)
    perms.check_edit_post(request.user, post, now=timezone.now(), window_minutes=conf.get("FORUM_EDIT_WINDOW_MINUTES"))
    form = forms.EditPostForm(request.POST or None, initial={"body": post.body_source})
    if request.method == "POST" and form.is_valid():
        try:
            services.post_edit(user=request.user, post=post, source=form.cleaned_data["body"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Tulisan diperbarui; versi sebelumnya tersimpan di riwayat."))
            return redirect("forum:post_redirect", pk=post.pk)
    return render(request, "forum/post_edit.html", {"post": post, "form": form})


@login_required
def post_history(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    perms.check_read_post(request.user, post)
    revisions = PostRevision.objects.filter(post=post).select_related("edited_by")
    return render(request, "forum/post_history.html", {"post": post, "revisions": revisions})


@login_required
@require_POST
def thread_watch(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk)
    form = forms.WatchForm(request.POST)
    if form.is_valid():
        services.thread_set_watch(user=request.user, thread=thread, level=form.cleaned_data["level"])
        messages.success(request, _("Pengaturan mengikuti topik disimpan."))
    return redirect("forum:thread", pk=thread.pk)


# --- Moderation ----------------------------------------------------------------------


@login_required
@require_POST
def thread_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk)
    perms.check_moderate_category(request.user, thread.category_id)
    action = request.POST.get("action", "")
    form = forms.ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Tuliskan alasan tindakan moderasi."))
        if action == "move":
            target = Category.objects.filter(pk=request.POST.get("category") or 0).first()
            if target is None:
                raise ValidationError(_("Pilih kategori tujuan."))
            services.thread_move(
                user=request.user, thread=thread, to_category=target, reason=form.cleaned_data["reason"]
            )
        else:
            services.thread_moderate(
                user=request.user, thread=thread, action=action, reason=form.cleaned_data["reason"]
            )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Tindakan moderasi dicatat."))
    return redirect("forum:thread", pk=thread.pk)


@login_required
@require_POST
def post_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    perms.check_read_post(request.user, post)
    perms.check_moderate_category(request.user, post.thread.category_id)
    form = forms.ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Tuliskan alasan tindakan moderasi."))
        hidden = request.POST.get("action") == ModerationAction.HIDE_POST
        services.post_set_hidden(user=request.user, post=post, hidden=hidden, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Tindakan moderasi dicatat."))
    return redirect("forum:post_redirect", pk=post.pk)


@login_required
def post_report(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread", "author"), pk=pk)
    perms.check_read_post(request.user, post)
    form = forms.ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(user=request.user, post=post, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Terima kasih. Laporan Anda diteruskan ke moderator."))
            return redirect("forum:post_redirect", pk=post.pk)
    return render(request, "forum/report_form.html", {"post": post, "form": form})


@login_required
def report_queue(request: HttpRequest) -> HttpResponse:
    perms.check_moderate_any(request.user)
    return render(
        request,
        "forum/reports.html",
        {"reports": selectors.open_reports(user=request.user), "form": forms.CloseReportForm()},
    )


@login_required
@require_POST
def report_close(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(Report.objects.select_related("post__thread"), pk=pk)
    perms.check_moderate_category(request.user, report.post.thread.category_id)
    form = forms.CloseReportForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Pilih hasil peninjauan."))
        services.report_close(
            user=request.user, report=report, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Laporan ditutup."))
    return redirect("forum:reports")


@login_required
def moderation_log(request: HttpRequest) -> HttpResponse:
    perms.check_moderate_any(request.user)
    return render(
        request,
        "forum/moderation_log.html",
        {"page_obj": _page(request, selectors.moderation_log(user=request.user), 50)},
    )


@login_required
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    perms.check_deactivate_user(request.user)
    target = get_object_or_404(User, pk=pk)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_deactivate(user=request.user, target=target, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Akun %(user)s dinonaktifkan.") % {"user": target})
            return redirect("forum:moderation_log")
    return render(request, "forum/user_deactivate.html", {"target": target, "form": form})


# --- Exports ---------------------------------------------------------------------------


def _csv_response(content: str, filename: str) -> HttpResponse:
    return exports.csv_text_response(filename=filename, text=content)


@login_required
def thread_export(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk)
    return _csv_response(services.posts_export_csv(user=request.user, thread=thread), f"forum-topik-{thread.pk}.csv")


@login_required
def category_export(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    threads = _thread_filterset(request, category).qs  # lazy: read after the service's export check
    return _csv_response(
        services.posts_export_csv(user=request.user, category=category, threads=threads), f"forum-{category.slug}.csv"
    )


# --- Notifications, settings, search, mentions ------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    fs = filterset(NotificationFilterSet, request.GET, selectors.notifications_for(user=request.user))
    page_obj = _page(request, fs.qs, 30)
    return render(request, "forum/notifications.html", {"page_obj": page_obj, "filter": fs.form})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("forum:notifications")


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(selectors.notifications_for(user=request.user), pk=pk)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect("forum:post_redirect", pk=notification.post_id)


@login_required
def forum_settings(request: HttpRequest) -> HttpResponse:
    profile = services.forum_profile_get(user=request.user)
    form = forms.ProfileForm(
        request.POST or None,
        initial={"default_watch_level": profile.default_watch_level, "daily_digest": profile.daily_digest},
    )
    if request.method == "POST" and form.is_valid():
        services.forum_profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Pengaturan forum disimpan."))
        return redirect("forum:settings")
    return render(request, "forum/settings.html", {"form": form})


SEARCH_PAGE_SIZE = 20


@login_required
def search(request: HttpRequest) -> HttpResponse:
    perms.check_forum_access(request.user)
    query = request.GET.get("q", "")
    page = request.GET.get("page", "")
    # Pages of SEARCH_PAGE_SIZE hits among the FORUM_SEARCH_CANDIDATES ranked; past the last: empty.
    number = int(page) if is_number(page) and len(page) <= 3 and int(page) > 0 else 1
    first = (number - 1) * SEARCH_PAGE_SIZE
    # One more than a page, to know whether there is a next one (the matches are not counted).
    hits = (
        search_posts(user=request.user, query=query, limit=SEARCH_PAGE_SIZE + 1, offset=first) if query.strip() else []
    )
    context = {
        "query": query,
        "hits": hits[:SEARCH_PAGE_SIZE],
        "number": number,
        "first": first + 1,
        "last": first + len(hits[:SEARCH_PAGE_SIZE]),
        "has_next": len(hits) > SEARCH_PAGE_SIZE,
    }
    return render(request, "forum/search.html", context)


_TRAILING_MENTION = re.compile(r"@([A-Za-z0-9_.+-]{1,150})$")


@login_required
def mention_search(request: HttpRequest) -> HttpResponse:
    """htmx: users matching the @word being typed at the end of the editor."""
    text = request.GET.get("body", "") or request.GET.get("q", "")
    match = _TRAILING_MENTION.search(text.rstrip("\n")[-160:])
    users: list[Any] = []
    if match:
        users = list(
            perms.filter_mentionable_users(request.user, User.objects.all())
            .filter(username__istartswith=match.group(1))
            .order_by("username")[:8]
        )
    return render(request, "forum/_mention_results.html", {"users": users})


# --- Attachments ------------------------------------------------------------------------------


def _serve(attachment: Attachment, *, thumbnail: bool) -> FileResponse:
    field = attachment.thumbnail if thumbnail else attachment.file
    if not field:
        raise Http404
    content_type = "image/png" if thumbnail else attachment.content_type
    inline = thumbnail
    handle = open_stored(field.name, what=f"forum attachment {attachment.pk}")
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=attachment.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A downloaded file opened in the browser gets no script and no origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("post__thread"), pk=pk)
    perms.check_download_attachment(request.user, attachment)
    return _serve(attachment, thumbnail=False)


@login_required
def attachment_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("post__thread"), pk=pk)
    perms.check_download_attachment(request.user, attachment)
    return _serve(attachment, thumbnail=True)


# --- Meetings ---------------------------------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    upcoming, past = selectors.upcoming_and_past_meetings(user=request.user)
    return render(
        request,
        "forum/meetings.html",
        {"upcoming": upcoming, "past": past, "can_manage": perms.can_manage_meetings(request.user)},
    )


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    perms.check_manage_meetings(request.user)
    form = forms.MeetingForm(request.POST or None)
    form.fields["thread_category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
        id__in=perms.categories_with(request.user, perms.P.START)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                user=request.user,
                title=data["title"],
                agenda=data["agenda"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                online_link=data["online_link"],
                invited_bkms=data["invited_bkms"],
                thread_category=data["thread_category"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Pertemuan dijadwalkan."))
            return redirect("forum:meeting", pk=meeting.pk)
    return render(request, "forum/meeting_form.html", {"form": form})


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting, pk=pk)
    perms.check_manage_meetings(request.user)
    form = forms.MeetingForm(request.POST or None, instance=meeting)
    del form.fields["thread_category"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_update(
                user=request.user,
                meeting=meeting,
                title=data["title"],
                agenda=data["agenda"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                online_link=data["online_link"],
                invited_bkms=data["invited_bkms"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Pertemuan diperbarui."))
            return redirect("forum:meeting", pk=meeting.pk)
    return render(request, "forum/meeting_form.html", {"form": form, "meeting": meeting})


def _get_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("thread", "created_by"), pk=pk)
    perms.check_view_meeting(request.user, meeting)
    return meeting


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    can_manage = perms.can_manage_meetings(request.user)
    rsvps = list(meeting.rsvps.select_related("user", "user__bkm").order_by("user__username"))
    my_rsvp = next((r for r in rsvps if r.user_id == request.user.pk), None)
    thread = meeting.thread
    if (
        thread is not None
        and not perms.filter_visible_threads(request.user, Thread.objects.filter(pk=thread.pk)).exists()
    ):
        thread = None
    decisions = list(meeting.decisions.prefetch_related("follow_ups__assignee_bkm", "follow_ups__assignee_opd"))
    return render(
        request,
        "forum/meeting_detail.html",
        {
            "meeting": meeting,
            "thread": thread,
            "rsvps": rsvps,
            "my_rsvp": my_rsvp,
            "is_past": meeting.starts_at < timezone.now(),
            "can_manage": can_manage,
            "decisions": decisions,
            "minutes_form": forms.MinutesForm(initial={"minutes": meeting.minutes}) if can_manage else None,
            "decision_form": forms.DecisionForm() if can_manage else None,
            "follow_up_form": forms.FollowUpForm() if can_manage else None,
            "invited": list(meeting.invited_bkms.all()),
            "status_choices": {
                status: [(n, FollowUpStatus(n).label) for n in sorted(nexts)]
                for status, nexts in services.FOLLOW_UP_TRANSITIONS.items()
            },
        },
    )


@login_required
@require_POST
def meeting_rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    try:
        services.meeting_rsvp(user=request.user, meeting=meeting, response=request.POST.get("response", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Konfirmasi kehadiran disimpan."))
    return redirect("forum:meeting", pk=meeting.pk)


@login_required
@require_POST
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    form = forms.MinutesForm(request.POST)
    if form.is_valid():
        services.meeting_update_minutes(user=request.user, meeting=meeting, minutes=form.cleaned_data["minutes"])
        messages.success(request, _("Notulen disimpan."))
    return redirect("forum:meeting", pk=meeting.pk)


@login_required
@require_POST
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    ids = [int(v) for v in request.POST.getlist("attendees") if is_number(v)]
    services.meeting_record_attendance(user=request.user, meeting=meeting, attendee_ids=ids)
    messages.success(request, _("Daftar hadir disimpan."))
    return redirect("forum:meeting", pk=meeting.pk)


@login_required
@require_POST
def meeting_decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    form = forms.DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Keputusan tidak boleh kosong."))
        services.meeting_add_decision(user=request.user, meeting=meeting, text=form.cleaned_data["text"])
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("forum:meeting", pk=meeting.pk)


@login_required
@require_POST
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(MeetingDecision.objects.select_related("meeting"), pk=pk)
    perms.check_view_meeting(request.user, decision.meeting)
    form = forms.FollowUpForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Lengkapi uraian, penanggung jawab dan tenggat tindak lanjut."))
        services.follow_up_create(user=request.user, decision=decision, **form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Tindak lanjut ditambahkan."))
    return redirect("forum:meeting", pk=decision.meeting_id)


@login_required
@require_POST
def follow_up_status(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(FollowUpAction.objects.select_related("decision__meeting"), pk=pk)
    perms.check_view_meeting(request.user, follow_up.decision.meeting)
    try:
        services.follow_up_transition(user=request.user, follow_up=follow_up, status=request.POST.get("status", ""))
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied:
        raise
    return redirect("forum:meeting", pk=follow_up.decision.meeting_id)


def _ics_response(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    return _ics_response(
        meeting_calendar([meeting], base_url=request.build_absolute_uri("/")), f"pertemuan-{meeting.pk}.ics"
    )


@login_required
def meetings_ics(request: HttpRequest) -> HttpResponse:
    meetings = list(selectors.meetings_for(user=request.user))
    return _ics_response(
        meeting_calendar(meetings, base_url=request.build_absolute_uri("/")), "pertemuan-forum-bkm.ics"
    )
